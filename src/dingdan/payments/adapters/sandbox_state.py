"""The sandbox provider's books: its state machine (pure functions) and the store that holds it.

The sandbox plays the provider's side: it keeps its own payments, refunds and idempotency
keys, exactly as a real provider would, so tests can check what the provider "saw" (one
refund, not two). The pure functions take and return frozen records; `SandboxStore` only holds
them. `InMemorySandboxStore` is the default; a persistent store can keep the same protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from dingdan.payments.adapters.base import ProviderEvent, ProviderEventType, RefundStatus
from dingdan.payments.errors import (
    IdempotencyKeyReused,
    PaymentError,
    PaymentNotRefundable,
)
from dingdan.payments.rules import ZERO, check_refund


class SandboxPaymentState(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


class PaymentClosed(PaymentError):
    """The sandbox payment is no longer open (paid, failed or expired)."""

    code = "payment-closed"
    status = 409
    title = "Payment is closed"


@dataclass(frozen=True, slots=True)
class SandboxPayment:
    payment_id: str
    order_number: str
    amount: Decimal
    currency: str
    return_url: str
    created_at: datetime
    expires_at: datetime
    state: SandboxPaymentState = SandboxPaymentState.OPEN


@dataclass(frozen=True, slots=True)
class SandboxRefund:
    refund_id: str
    payment_id: str
    amount: Decimal
    status: RefundStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What an idempotency key was first used for, and the id of the result it produced."""

    fingerprint: tuple[str, ...]
    result_id: str


def settle_payment(payment: SandboxPayment, *, succeeded: bool, now: datetime) -> SandboxPayment:
    """The payment after the customer paid (or the payment failed) on the pay page."""
    if payment.state is not SandboxPaymentState.OPEN or now >= payment.expires_at:
        raise PaymentClosed(
            "payment {payment_id} is {state}",
            params={"payment_id": payment.payment_id, "state": payment.state},
        )
    state = SandboxPaymentState.SUCCEEDED if succeeded else SandboxPaymentState.FAILED
    return replace(payment, state=state)


def expire_payment(payment: SandboxPayment, now: datetime) -> SandboxPayment | None:
    """The expired payment, or None when it is not open or not yet due."""
    if payment.state is SandboxPaymentState.OPEN and now >= payment.expires_at:
        return replace(payment, state=SandboxPaymentState.EXPIRED)
    return None


def open_refund(
    payment: SandboxPayment,
    earlier_refunds: Iterable[SandboxRefund],
    *,
    refund_id: str,
    amount: Decimal,
    declined: bool,
    now: datetime,
) -> SandboxRefund:
    """A new refund of a captured payment; refuses more than what is still refundable."""
    if payment.state is not SandboxPaymentState.SUCCEEDED:
        raise PaymentNotRefundable(
            "payment {payment_id} is {state}",
            params={"payment_id": payment.payment_id, "state": payment.state},
        )
    refunds = list(earlier_refunds)
    check_refund(
        amount,
        captured=payment.amount,
        refunded=_total(refunds, RefundStatus.SUCCEEDED),
        pending=_total(refunds, RefundStatus.PENDING),
    )
    status = RefundStatus.FAILED if declined else RefundStatus.SUCCEEDED
    return SandboxRefund(refund_id, payment.payment_id, amount, status, now)


def check_key_reuse(record: KeyRecord | None, fingerprint: tuple[str, ...]) -> str | None:
    """The earlier result id for this key, None for a new key; refuses other parameters."""
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused("idempotency key was used with other parameters")
    return record.result_id


def payment_event(payment: SandboxPayment, *, event_id: str, now: datetime) -> ProviderEvent:
    """The webhook event announcing a settled or expired payment."""
    event_type = {
        SandboxPaymentState.SUCCEEDED: ProviderEventType.PAYMENT_SUCCEEDED,
        SandboxPaymentState.FAILED: ProviderEventType.PAYMENT_FAILED,
        SandboxPaymentState.EXPIRED: ProviderEventType.PAYMENT_EXPIRED,
    }[payment.state]
    return ProviderEvent(
        event_id=event_id,
        type=event_type,
        provider_payment_id=payment.payment_id,
        amount=payment.amount,
        currency=payment.currency,
        occurred_at=now,
        order_number=payment.order_number,
    )


def refund_event(refund: SandboxRefund, payment: SandboxPayment, *, event_id: str) -> ProviderEvent:
    """The webhook event announcing a refund's outcome."""
    succeeded = refund.status is RefundStatus.SUCCEEDED
    return ProviderEvent(
        event_id=event_id,
        type=ProviderEventType.REFUND_SUCCEEDED if succeeded else ProviderEventType.REFUND_FAILED,
        provider_payment_id=payment.payment_id,
        provider_refund_id=refund.refund_id,
        amount=refund.amount,
        currency=payment.currency,
        occurred_at=refund.created_at,
        order_number=payment.order_number,
    )


def _total(refunds: Iterable[SandboxRefund], status: RefundStatus) -> Decimal:
    return sum((refund.amount for refund in refunds if refund.status is status), ZERO)


class SandboxStore(Protocol):
    """Where the sandbox keeps its books. Keys are scoped by operation ("payment", "refund")."""

    def find_payment(self, payment_id: str) -> SandboxPayment | None: ...
    def save_payment(self, payment: SandboxPayment) -> None: ...
    def list_payments(self) -> Sequence[SandboxPayment]: ...
    def find_refund(self, refund_id: str) -> SandboxRefund | None: ...
    def save_refund(self, refund: SandboxRefund) -> None: ...
    def list_refunds(self, payment_id: str) -> Sequence[SandboxRefund]: ...
    def find_key(self, scope: str, key: str) -> KeyRecord | None: ...
    def save_key(self, scope: str, key: str, record: KeyRecord) -> None: ...
    def append_event(self, event: ProviderEvent) -> None: ...
    def list_events(self) -> Sequence[ProviderEvent]: ...


@dataclass
class InMemorySandboxStore:
    """The default store: plain dictionaries, lost on restart (it is a sandbox)."""

    payments: dict[str, SandboxPayment] = field(default_factory=dict)
    refunds: dict[str, SandboxRefund] = field(default_factory=dict)
    keys: dict[tuple[str, str], KeyRecord] = field(default_factory=dict)
    events: list[ProviderEvent] = field(default_factory=list)

    def find_payment(self, payment_id: str) -> SandboxPayment | None:
        return self.payments.get(payment_id)

    def save_payment(self, payment: SandboxPayment) -> None:
        self.payments[payment.payment_id] = payment

    def list_payments(self) -> Sequence[SandboxPayment]:
        return list(self.payments.values())

    def find_refund(self, refund_id: str) -> SandboxRefund | None:
        return self.refunds.get(refund_id)

    def save_refund(self, refund: SandboxRefund) -> None:
        self.refunds[refund.refund_id] = refund

    def list_refunds(self, payment_id: str) -> Sequence[SandboxRefund]:
        return [refund for refund in self.refunds.values() if refund.payment_id == payment_id]

    def find_key(self, scope: str, key: str) -> KeyRecord | None:
        return self.keys.get((scope, key))

    def save_key(self, scope: str, key: str, record: KeyRecord) -> None:
        self.keys[(scope, key)] = record

    def append_event(self, event: ProviderEvent) -> None:
        self.events.append(event)

    def list_events(self) -> Sequence[ProviderEvent]:
        return list(self.events)
