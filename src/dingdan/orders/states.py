"""The order state machine: the one place that says which status may follow which.

See docs/order-states.md for the diagram. Every accepted transition is one timeline event.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # 待付款
    PENDING_REVIEW = "pending_review"  # 待審核
    CONFIRMED = "confirmed"  # 已確認
    PARTIALLY_SHIPPED = "partially_shipped"  # 部分發貨
    SHIPPED = "shipped"  # 已發貨
    DELIVERED = "delivered"  # 已送達
    COMPLETED = "completed"  # 已完成
    CANCELLED = "cancelled"  # 已取消


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


class Tab(StrEnum):
    """The customer-facing tabs of "my orders"."""

    PENDING_PAYMENT = "pending_payment"  # 待付款
    TO_SHIP = "to_ship"  # 待發貨
    SHIPPED = "shipped"  # 已發貨
    COMPLETED = "completed"  # 已完成
    CANCELLED = "cancelled"  # 已取消


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PENDING_REVIEW, S.CONFIRMED, S.CANCELLED}),
    S.PENDING_REVIEW: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PENDING_REVIEW, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    # Back to confirmed / partially shipped only when parcels that had not been collected
    # are cancelled (shipping's cancel_parcel).
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.CONFIRMED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.PARTIALLY_SHIPPED, S.CONFIRMED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

TAB_OF: dict[OrderStatus, Tab] = {
    S.PENDING_PAYMENT: Tab.PENDING_PAYMENT,
    S.PENDING_REVIEW: Tab.TO_SHIP,
    S.CONFIRMED: Tab.TO_SHIP,
    S.PARTIALLY_SHIPPED: Tab.SHIPPED,
    S.SHIPPED: Tab.SHIPPED,
    S.DELIVERED: Tab.SHIPPED,
    S.COMPLETED: Tab.COMPLETED,
    S.CANCELLED: Tab.CANCELLED,
}

# What a merchant may confirm. Shipped orders also go back to confirmed, but only when their
# parcels are cancelled before collection (shipping), never by confirming them again.
CONFIRMABLE = frozenset({S.PENDING_PAYMENT, S.PENDING_REVIEW})

# Statuses in which the order still holds stock reservations and can be edited.
OPEN_STATUSES = frozenset({S.PENDING_PAYMENT, S.PENDING_REVIEW, S.CONFIRMED})


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def statuses_in_tab(tab: Tab) -> list[OrderStatus]:
    return [status for status, t in TAB_OF.items() if t is tab]
