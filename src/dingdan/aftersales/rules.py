"""Pure after-sales rules: the request flow per kind, the policy window, quantities, refunds.

    return_refund  requested → approved → received → inspected → refund_pending → completed
    exchange       requested → approved → received → inspected → completed (replacement sent)
    refund_only    requested → approved → refund_pending → completed
    lost_parcel    requested → approved → refund_pending → completed (compensation)

Any kind: requested → rejected (with a reason) or withdrawn (by the customer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum


class RequestKind(StrEnum):
    RETURN_REFUND = "return_refund"  # 退貨退款
    REFUND_ONLY = "refund_only"  # 僅退款
    EXCHANGE = "exchange"  # 換貨
    LOST_PARCEL = "lost_parcel"  # 包裹遺失補償


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUND_PENDING = "refund_pending"
    COMPLETED = "completed"


class Disposition(StrEnum):
    RESTOCK = "restock"
    WRITE_OFF = "write_off"


K, S = RequestKind, RequestStatus
_OPENING = {S.REQUESTED: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN})}
_GOODS_BACK = {S.APPROVED: frozenset({S.RECEIVED}), S.RECEIVED: frozenset({S.INSPECTED})}
_MONEY_BACK = {S.REFUND_PENDING: frozenset({S.COMPLETED})}
FLOWS: dict[RequestKind, dict[RequestStatus, frozenset[RequestStatus]]] = {
    K.RETURN_REFUND: {**_OPENING, **_GOODS_BACK, S.INSPECTED: frozenset({S.REFUND_PENDING}), **_MONEY_BACK},
    K.EXCHANGE: {**_OPENING, **_GOODS_BACK, S.INSPECTED: frozenset({S.COMPLETED})},
    K.REFUND_ONLY: {**_OPENING, S.APPROVED: frozenset({S.REFUND_PENDING}), **_MONEY_BACK},
    K.LOST_PARCEL: {**_OPENING, S.APPROVED: frozenset({S.REFUND_PENDING}), **_MONEY_BACK},
}
CLOSED = frozenset({S.REJECTED, S.WITHDRAWN, S.COMPLETED})
# Order statuses in which a request of each kind may be opened.
ELIGIBLE_ORDER_STATUSES: dict[RequestKind, frozenset[str]] = {
    K.RETURN_REFUND: frozenset({"delivered", "completed"}),
    K.REFUND_ONLY: frozenset({"delivered", "completed"}),
    K.EXCHANGE: frozenset({"delivered", "completed"}),
    K.LOST_PARCEL: frozenset({"shipped", "partially_shipped", "delivered"}),
}


def can_move(kind: RequestKind, current: RequestStatus, target: RequestStatus) -> bool:
    return target in FLOWS[kind].get(current, frozenset())


def takes_goods_back(kind: RequestKind) -> bool:
    return kind in {K.RETURN_REFUND, K.EXCHANGE}


def pays_money_back(kind: RequestKind) -> bool:
    return kind is not K.EXCHANGE


def within_window(since: datetime, now: datetime, days: int) -> bool:
    """The policy window: `days` full days after `since` (delivery, or shipment for a lost
    parcel), inclusive of the last moment."""
    return since <= now <= since + timedelta(days=days)


def quantity_problems(
    ordered: Mapping[int, int], already: Mapping[int, int], asked: Mapping[int, int]
) -> list[tuple[int, int]]:
    """(line_no, how many may still be asked) for each line asked beyond what is left."""
    problems = []
    for line_no, quantity in sorted(asked.items()):
        left = ordered.get(line_no, 0) - already.get(line_no, 0)
        if quantity < 1 or quantity > left:
            problems.append((line_no, max(left, 0)))
    return problems


def sum_by_line(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for line_no, quantity in pairs:
        totals[line_no] = totals.get(line_no, 0) + quantity
    return totals


def refund_amount(
    kind: RequestKind,
    *,
    lines: Iterable[tuple[Decimal, int]],
    order_total: Decimal,
    already_refunded: Decimal = Decimal(0),
) -> Decimal:
    """What the request gives back: the returned lines at the price paid, or (lost parcel)
    the whole order with its shipping fee; never more than is left of the order's total."""
    if kind is K.EXCHANGE:
        return Decimal("0.00")
    wanted = order_total if kind is K.LOST_PARCEL else sum((p * q for p, q in lines), Decimal(0))
    left = max(order_total - already_refunded, Decimal(0))
    return min(wanted, left).quantize(Decimal("0.01"))
