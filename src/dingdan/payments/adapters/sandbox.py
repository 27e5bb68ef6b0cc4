"""The built-in sandbox payment provider, code `sandbox`: no money moves, everything else does.

- `create_payment` opens a payment and points the customer at the sandbox pay page
  (`<pay_page_url>/<provider payment id>`); the page calls `complete_payment` with the
  customer's choice and delivers the returned event with `build_webhook`.
- `refund` refunds a captured payment, never more than what is left, once per idempotency key.
- Every state change appends a `ProviderEvent` to the store, so a test or the pay page can
  deliver it (several times, late, or out of order) as a signed webhook.
- Webhooks are signed per Standard Webhooks (see `standard_webhooks`); the JSON body is
  `{"type": ..., "timestamp": <ISO 8601>, "data": {"payment_id", "refund_id", "amount",
  "currency", "order_number"}}` with the amount as a decimal string.

To test failure handling, tell it how the next calls go with `queue_outcomes`:
`SUCCEED`; `FAIL` (a refund is declined and recorded as failed; opening a payment is refused);
`UNAVAILABLE` (nothing is performed, `ProviderUnavailable`); `TIMEOUT` (the action IS
performed, then `ProviderTimeout` is raised, as when the answer is lost on the way back).
"""

from __future__ import annotations

import json
import secrets as token_source
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from dingdan.payments.adapters import sandbox_state as books
from dingdan.payments.adapters import standard_webhooks
from dingdan.payments.adapters.base import (
    PaymentSession,
    ProviderEvent,
    ProviderEventType,
    RefundResult,
)
from dingdan.payments.errors import (
    InvalidAmount,
    ProviderTimeout,
    ProviderUnavailable,
    UnknownPayment,
    WebhookMalformed,
)
from dingdan.payments.rules import ensure_amount, ensure_currency

SANDBOX_CODE = "sandbox"
DEFAULT_PAY_PAGE_URL = "/payments/sandbox/pay"
DEFAULT_PAYMENT_TTL = timedelta(minutes=30)


class SandboxOutcome(StrEnum):
    SUCCEED = "succeed"
    FAIL = "fail"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"


class SandboxProvider:
    """The sandbox provider. `clock` returns an aware datetime; inject a fixed one in tests."""

    code = SANDBOX_CODE

    def __init__(
        self,
        store: books.SandboxStore | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pay_page_url: str = DEFAULT_PAY_PAGE_URL,
        payment_ttl: timedelta = DEFAULT_PAYMENT_TTL,
    ) -> None:
        self.store: books.SandboxStore = store or books.InMemorySandboxStore()
        self._clock = clock
        self._pay_page_url = pay_page_url.rstrip("/")
        self._payment_ttl = payment_ttl
        self._outcomes: deque[SandboxOutcome] = deque()

    def queue_outcomes(self, *outcomes: SandboxOutcome) -> None:
        """How the next `create_payment`/`refund` calls go, one per call; then SUCCEED."""
        self._outcomes.extend(outcomes)

    async def create_payment(
        self,
        order_number: str,
        amount: Decimal,
        currency: str,
        return_url: str,
        idempotency_key: str,
    ) -> PaymentSession:
        ensure_amount(amount)
        ensure_currency(currency)
        outcome = self._next_outcome()
        if outcome in (SandboxOutcome.FAIL, SandboxOutcome.UNAVAILABLE):
            raise ProviderUnavailable("sandbox was told to refuse this payment")
        fingerprint = (order_number, str(amount), currency, return_url)
        earlier = self.store.find_key("payment", idempotency_key)
        known = books.check_key_reuse(earlier, fingerprint)
        payment = self.store.find_payment(known) if known else None
        if payment is None:
            payment = self._open_payment(order_number, amount, currency, return_url)
            record = books.KeyRecord(fingerprint, payment.payment_id)
            self.store.save_key("payment", idempotency_key, record)
        if outcome is SandboxOutcome.TIMEOUT:
            raise ProviderTimeout("sandbox opened the payment but did not answer in time")
        return PaymentSession(
            provider_payment_id=payment.payment_id,
            redirect_url=f"{self._pay_page_url}/{payment.payment_id}",
            expires_at=payment.expires_at,
        )

    async def refund(self, provider_payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        outcome = self._next_outcome()
        if outcome is SandboxOutcome.UNAVAILABLE:
            raise ProviderUnavailable("sandbox was told to be unreachable")
        fingerprint = (provider_payment_id, str(amount))
        earlier = self.store.find_key("refund", idempotency_key)
        known = books.check_key_reuse(earlier, fingerprint)
        refund = self.store.find_refund(known) if known else None
        if refund is None:
            refund = self._perform_refund(
                provider_payment_id, amount, declined=outcome is SandboxOutcome.FAIL
            )
            record = books.KeyRecord(fingerprint, refund.refund_id)
            self.store.save_key("refund", idempotency_key, record)
        if outcome is SandboxOutcome.TIMEOUT:
            raise ProviderTimeout("sandbox refunded but did not answer in time")
        return RefundResult(refund.refund_id, refund.status, refund.amount)

    def get_payment(self, provider_payment_id: str) -> books.SandboxPayment:
        """The sandbox's record of a payment, for its pay page."""
        payment = self.store.find_payment(provider_payment_id)
        if payment is None:
            raise UnknownPayment(
                "no sandbox payment {provider_payment_id}",
                params={"provider_payment_id": provider_payment_id},
            )
        return payment

    def complete_payment(self, provider_payment_id: str, *, succeeded: bool) -> ProviderEvent:
        """The customer paid (or the payment failed) on the pay page; returns the event."""
        now = self._clock()
        payment = books.settle_payment(self.get_payment(provider_payment_id), succeeded=succeeded, now=now)
        self.store.save_payment(payment)
        return self._record(books.payment_event(payment, event_id=_new_id("evt"), now=now))

    def expire_due_payments(self) -> list[ProviderEvent]:
        """Expire every open payment past its `expires_at`; returns the `payment.expired` events."""
        now = self._clock()
        events = []
        for payment in self.store.list_payments():
            expired = books.expire_payment(payment, now)
            if expired is not None:
                self.store.save_payment(expired)
                events.append(books.payment_event(expired, event_id=_new_id("evt"), now=now))
        return [self._record(event) for event in events]

    def parse_webhook(
        self,
        headers: Mapping[str, str],
        raw_body: bytes,
        secrets: Sequence[str],
        now: datetime,
    ) -> ProviderEvent:
        message = standard_webhooks.verify(headers, raw_body, secrets, now)
        return decode_event(message.message_id, message.body)

    def _next_outcome(self) -> SandboxOutcome:
        return self._outcomes.popleft() if self._outcomes else SandboxOutcome.SUCCEED

    def _open_payment(
        self, order_number: str, amount: Decimal, currency: str, return_url: str
    ) -> books.SandboxPayment:
        now = self._clock()
        payment = books.SandboxPayment(
            payment_id=_new_id("sbpay"),
            order_number=order_number,
            amount=amount,
            currency=currency,
            return_url=return_url,
            created_at=now,
            expires_at=now + self._payment_ttl,
        )
        self.store.save_payment(payment)
        return payment

    def _perform_refund(
        self, provider_payment_id: str, amount: Decimal, *, declined: bool
    ) -> books.SandboxRefund:
        payment = self.get_payment(provider_payment_id)
        refund = books.open_refund(
            payment,
            self.store.list_refunds(provider_payment_id),
            refund_id=_new_id("sbref"),
            amount=amount,
            declined=declined,
            now=self._clock(),
        )
        self.store.save_refund(refund)
        self._record(books.refund_event(refund, payment, event_id=_new_id("evt")))
        return refund

    def _record(self, event: ProviderEvent) -> ProviderEvent:
        self.store.append_event(event)
        return event


def build_webhook(
    event: ProviderEvent,
    secret: str,
    now: datetime,
    *,
    also_signed_with: Sequence[str] = (),
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a signed webhook delivering `event`, sent at `now`.

    `also_signed_with` adds signatures with further secrets, as during a secret rotation.
    """
    body = encode_event(event)
    headers = standard_webhooks.signed_headers(
        event.event_id, int(now.timestamp()), body, [secret, *also_signed_with]
    )
    headers["content-type"] = "application/json"
    return headers, body


def encode_event(event: ProviderEvent) -> bytes:
    """The sandbox's JSON body for an event (the event id travels in `webhook-id`)."""
    payload = {
        "type": str(event.type),
        "timestamp": event.occurred_at.isoformat(),
        "data": {
            "payment_id": event.provider_payment_id,
            "refund_id": event.provider_refund_id,
            "amount": str(event.amount),
            "currency": event.currency,
            "order_number": event.order_number,
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_event(event_id: str, body: bytes) -> ProviderEvent:
    """Parse a verified sandbox body; anything unexpected raises `WebhookMalformed`."""
    try:
        payload = json.loads(body)
        data = payload["data"]
        return ProviderEvent(
            event_id=event_id,
            type=ProviderEventType(payload["type"]),
            provider_payment_id=_text(data["payment_id"]),
            provider_refund_id=_optional_text(data.get("refund_id")),
            amount=ensure_amount(Decimal(_text(data["amount"]))),
            currency=_text(data["currency"]),
            occurred_at=_aware(datetime.fromisoformat(_text(payload["timestamp"]))),
            order_number=_optional_text(data.get("order_number")),
        )
    except (ValueError, KeyError, TypeError, InvalidOperation, InvalidAmount) as exc:
        raise WebhookMalformed("sandbox webhook body is not understood: {exc}", params={"exc": exc}) from exc


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return moment


def _new_id(prefix: str) -> str:
    return f"{prefix}_{token_source.token_hex(12)}"
