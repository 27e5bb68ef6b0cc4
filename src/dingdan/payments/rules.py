"""Pure payment rules: the payment status of an order and the money a refund may take.

Amounts are `Decimal` only (a float or int is a programming error and raises `TypeError`);
an amount the customer pays or gets back is positive with at most two decimal places.

Status machine (`TRANSITIONS`):

    unpaid ──session opened──> pending ──payment.succeeded──> paid ──refund──> partially_refunded
       ^                          │  │                          │                    │
       └──payment.expired─────────┘  └──payment.failed──> failed (may pay again)     └──> refunded

A provider event that would move a payment backwards (a `payment.failed` after `paid`, a
duplicate `payment.succeeded`) leaves the status unchanged: events may arrive late, twice or
out of order, and the status never regresses.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from dingdan.payments.adapters.base import ProviderEventType
from dingdan.payments.errors import InvalidAmount, RefundExceedsCaptured

ZERO = Decimal("0")
CENT = Decimal("0.01")


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"


_S = PaymentStatus
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    _S.UNPAID: frozenset({_S.PENDING, _S.PAID}),
    _S.PENDING: frozenset({_S.PAID, _S.FAILED, _S.UNPAID}),
    _S.FAILED: frozenset({_S.PENDING, _S.PAID}),
    _S.PAID: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.PARTIALLY_REFUNDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.REFUNDED: frozenset(),
}
CAPTURED_STATUSES = frozenset({_S.PAID, _S.PARTIALLY_REFUNDED, _S.REFUNDED})

_EVENT_TARGET = {
    ProviderEventType.PAYMENT_SUCCEEDED: _S.PAID,
    ProviderEventType.PAYMENT_FAILED: _S.FAILED,
    ProviderEventType.PAYMENT_EXPIRED: _S.UNPAID,
}


# Why a captured payment cannot pay for its order (payments_payment.flag_reason), and which of
# those reasons are refunded without a person when the shop allows it: a payment captured after
# the order was cancelled (expired unpaid, or cancelled by the customer or staff) is plainly
# the customer's money. A second payment or a wrong amount is left for staff to look at.
FLAG_REASONS = ("order_cancelled", "order_already_paid", "amount_mismatch")
REFUNDED_BY_ITSELF = frozenset({"order_cancelled"})


def refunds_by_itself(reason: str, *, allowed: bool) -> bool:
    """True when a payment flagged for `reason` is refunded automatically."""
    return allowed and reason in REFUNDED_BY_ITSELF


def flagged_refund_key(payment_id: int, *, failed_before: int) -> str:
    """The request key of a flagged payment's refund: one per payment, and a new one only
    after the previous attempt failed (nothing left the shop then)."""
    return str(payment_id) if failed_before == 0 else f"{payment_id}/{failed_before}"


def can_transition(current: PaymentStatus, target: PaymentStatus) -> bool:
    return target in TRANSITIONS[current]


def status_after_payment_event(current: PaymentStatus, event_type: ProviderEventType) -> PaymentStatus:
    """The status after a `payment.*` event; unchanged when the event would be a regression.

    `payment.expired` and `payment.failed` only act on a pending payment. Refund events are
    settled through `status_after_refunds`, from the recorded refund totals.
    """
    target = _EVENT_TARGET.get(event_type)
    if target is None:
        raise ValueError(f"{event_type} is not a payment event")
    return target if can_transition(current, target) else current


def status_after_refunds(captured: Decimal, refunded: Decimal) -> PaymentStatus:
    """paid, partially_refunded or refunded, from the captured and the refunded totals."""
    _require_non_negative(captured=captured, refunded=refunded)
    if refunded > captured:
        raise ValueError("refunded total exceeds the captured amount")
    if refunded == ZERO:
        return _S.PAID
    return _S.REFUNDED if refunded == captured else _S.PARTIALLY_REFUNDED


def ensure_amount(amount: Decimal, *, field: str = "amount") -> Decimal:
    """`amount` if it is a positive Decimal with at most two decimal places."""
    _require_decimal(amount)
    if not amount.is_finite() or amount <= ZERO:
        raise InvalidAmount("{field} must be a positive amount", params={"field": field}, field=field)
    if amount != amount.quantize(CENT):
        raise InvalidAmount("{field} has more than two decimal places", params={"field": field}, field=field)
    return amount


def ensure_currency(currency: str) -> str:
    """`currency` if it is an ISO 4217 code: three upper-case ASCII letters."""
    if len(currency) != 3 or not (currency.isascii() and currency.isalpha() and currency.isupper()):
        raise InvalidAmount("currency must be an ISO 4217 code such as TWD", field="currency")
    return currency


def refundable(captured: Decimal, refunded: Decimal, pending: Decimal) -> Decimal:
    """What may still be refunded: captured − refunded − pending refunds, never below zero.

    Call it on totals read under a row lock on the payment, so two refunds cannot both
    spend the same remainder.
    """
    _require_non_negative(captured=captured, refunded=refunded, pending=pending)
    return max(captured - refunded - pending, ZERO)


def check_refund(amount: Decimal, *, captured: Decimal, refunded: Decimal, pending: Decimal) -> Decimal:
    """Refuse an invalid or over-large refund; return what stays refundable after it."""
    ensure_amount(amount)
    available = refundable(captured, refunded, pending)
    if amount > available:
        raise RefundExceedsCaptured(amount, available)
    return available - amount


def _require_decimal(value: object) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(value).__name__}")


def _require_non_negative(**amounts: Decimal) -> None:
    for name, value in amounts.items():
        _require_decimal(value)
        if not value.is_finite() or value < ZERO:
            raise ValueError(f"{name} must be a non-negative amount")
