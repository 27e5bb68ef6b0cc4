"""The contract every payment provider adapter keeps, and the registry that finds one by code.

A provider is called from a workflow, never from a request handler directly:

- `create_payment` opens a payment and returns where to send the customer to pay;
- `refund` returns money, in full or in part;
- `parse_webhook` turns a provider's signed HTTP callback into a `ProviderEvent`, or raises
  `WebhookSignatureInvalid` (answer 401) / `WebhookMalformed` (answer 400), in which case the
  caller writes nothing.

Every call that moves money takes an idempotency key. The caller derives it from its own row
(e.g. `refund:<refund row id>`) and stores it BEFORE calling, so that a retry after a timeout
(`ProviderTimeout`) reuses the same key and the provider performs the action at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from dingdan.payments.errors import UnknownProvider


class ProviderEventType(StrEnum):
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_EXPIRED = "payment.expired"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PaymentSession:
    """An opened payment: send the customer to `redirect_url` before `expires_at`."""

    provider_payment_id: str
    redirect_url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RefundResult:
    """The provider's answer to a refund. PENDING means a `refund.*` webhook will follow."""

    provider_refund_id: str
    status: RefundStatus
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A verified fact from the provider. `event_id` is unique per provider: dedupe on it.

    `provider_refund_id` is set for refund events only; it matches a refund we issued
    ourselves (our own echo) to the row we already have.
    """

    event_id: str
    type: ProviderEventType
    provider_payment_id: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    provider_refund_id: str | None = None
    order_number: str | None = None

    def to_payload(self) -> dict[str, str | None]:
        """As JSON, for the outbox event that carries it to its processing."""
        return {
            "event_id": self.event_id,
            "type": self.type.value,
            "provider_payment_id": self.provider_payment_id,
            "amount": str(self.amount),
            "currency": self.currency,
            "occurred_at": self.occurred_at.isoformat(),
            "provider_refund_id": self.provider_refund_id,
            "order_number": self.order_number,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, str | None]) -> ProviderEvent:
        return cls(
            event_id=str(payload["event_id"]),
            type=ProviderEventType(str(payload["type"])),
            provider_payment_id=str(payload["provider_payment_id"]),
            amount=Decimal(str(payload["amount"])),
            currency=str(payload["currency"]),
            occurred_at=datetime.fromisoformat(str(payload["occurred_at"])),
            provider_refund_id=payload.get("provider_refund_id"),
            order_number=payload.get("order_number"),
        )


@runtime_checkable
class PaymentProvider(Protocol):
    """A payment provider adapter. `code` is stored with each payment row."""

    code: str

    async def create_payment(
        self,
        order_number: str,
        amount: Decimal,
        currency: str,
        return_url: str,
        idempotency_key: str,
    ) -> PaymentSession:
        """Open a payment; the same key returns the same session, never a second payment."""
        ...

    async def refund(self, provider_payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        """Refund part or all of a captured payment; the same key never refunds twice.

        Raises `RefundExceedsCaptured`, `PaymentNotRefundable`, `UnknownPayment`,
        `ProviderUnavailable` (nothing done) or `ProviderTimeout` (outcome unknown: retry
        with the same key).
        """
        ...

    def parse_webhook(
        self,
        headers: Mapping[str, str],
        raw_body: bytes,
        secrets: Sequence[str],
        now: datetime,
    ) -> ProviderEvent:
        """Verify and parse a webhook against any of `secrets` (several during rotation)."""
        ...


class ProviderRegistry:
    """The configured providers, found by their code. Built once at start-up."""

    def __init__(self, providers: Iterable[PaymentProvider] = ()) -> None:
        self._providers: dict[str, PaymentProvider] = {}
        for provider in providers:
            self.register(provider)

    def register(self, provider: PaymentProvider) -> None:
        if provider.code in self._providers:
            raise ValueError(f"payment provider {provider.code!r} is already registered")
        self._providers[provider.code] = provider

    def get(self, code: str) -> PaymentProvider:
        try:
            return self._providers[code]
        except KeyError:
            raise UnknownProvider(
                "no payment provider {code!r}", params={"code": code}, field="provider"
            ) from None

    def codes(self) -> list[str]:
        return sorted(self._providers)
