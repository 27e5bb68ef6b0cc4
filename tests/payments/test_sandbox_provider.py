"""The sandbox provider: idempotent payments and refunds, failure modes, signed webhooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dingdan.payments.adapters import standard_webhooks
from dingdan.payments.adapters.base import (
    PaymentProvider,
    ProviderEventType,
    ProviderRegistry,
    RefundStatus,
)
from dingdan.payments.adapters.sandbox import SandboxOutcome, SandboxProvider, build_webhook
from dingdan.payments.adapters.sandbox_state import PaymentClosed
from dingdan.payments.errors import (
    IdempotencyKeyReused,
    InvalidAmount,
    PaymentNotRefundable,
    ProviderTimeout,
    ProviderUnavailable,
    RefundExceedsCaptured,
    UnknownProvider,
    WebhookMalformed,
    WebhookSignatureInvalid,
)

START = datetime(2025, 6, 8, 6, 0, tzinfo=UTC)
SECRET = standard_webhooks.generate_secret()


class SteppingClock:
    def __init__(self) -> None:
        self.current = START

    def __call__(self) -> datetime:
        return self.current


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def sandbox(clock: SteppingClock) -> SandboxProvider:
    return SandboxProvider(clock=clock, pay_page_url="https://shop.example/payments/sandbox/pay/")


async def paid_payment(sandbox: SandboxProvider, amount: str = "50.00") -> str:
    session = await sandbox.create_payment(
        "DD20250608-0001", Decimal(amount), "TWD", "https://shop.example/account/orders", "pay-1"
    )
    sandbox.complete_payment(session.provider_payment_id, succeeded=True)
    return session.provider_payment_id


async def test_a_payment_sends_the_customer_to_the_pay_page(sandbox: SandboxProvider) -> None:
    session = await sandbox.create_payment(
        "DD20250608-0001", Decimal("1280.00"), "TWD", "https://shop.example/return", "key-1"
    )
    assert session.redirect_url == (
        f"https://shop.example/payments/sandbox/pay/{session.provider_payment_id}"
    )
    assert session.expires_at == START + timedelta(minutes=30)


async def test_the_same_key_opens_one_payment(sandbox: SandboxProvider) -> None:
    args = ("DD-1", Decimal("99.00"), "TWD", "https://shop.example/r", "key-1")
    first, second = await sandbox.create_payment(*args), await sandbox.create_payment(*args)
    assert first == second
    assert len(sandbox.store.list_payments()) == 1


async def test_the_same_key_with_another_amount_is_refused(sandbox: SandboxProvider) -> None:
    await sandbox.create_payment("DD-1", Decimal("99.00"), "TWD", "https://r", "key-1")
    with pytest.raises(IdempotencyKeyReused):
        await sandbox.create_payment("DD-1", Decimal("98.00"), "TWD", "https://r", "key-1")


async def test_a_float_or_sub_cent_amount_is_refused(sandbox: SandboxProvider) -> None:
    with pytest.raises(InvalidAmount):
        await sandbox.create_payment("DD-1", Decimal("9.999"), "TWD", "https://r", "key-1")
    with pytest.raises(TypeError):
        await sandbox.create_payment("DD-1", 9.99, "TWD", "https://r", "key-2")  # type: ignore[arg-type]


async def test_paying_produces_a_signed_webhook_that_parses_back(sandbox: SandboxProvider) -> None:
    payment_id = await paid_payment(sandbox)
    [event] = sandbox.store.list_events()
    headers, body = build_webhook(event, SECRET, START)
    parsed = sandbox.parse_webhook(headers, body, [SECRET], START + timedelta(seconds=5))
    assert parsed == event
    assert parsed.type is ProviderEventType.PAYMENT_SUCCEEDED
    assert (parsed.provider_payment_id, parsed.amount) == (payment_id, Decimal("50.00"))
    assert parsed.order_number == "DD20250608-0001"


async def test_a_failed_payment_is_announced(sandbox: SandboxProvider) -> None:
    session = await sandbox.create_payment("DD-1", Decimal("10.00"), "TWD", "https://r", "k")
    event = sandbox.complete_payment(session.provider_payment_id, succeeded=False)
    assert event.type is ProviderEventType.PAYMENT_FAILED
    with pytest.raises(PaymentClosed):
        sandbox.complete_payment(session.provider_payment_id, succeeded=True)


async def test_an_unpaid_payment_expires(sandbox: SandboxProvider, clock: SteppingClock) -> None:
    session = await sandbox.create_payment("DD-1", Decimal("10.00"), "TWD", "https://r", "k")
    clock.current = START + timedelta(minutes=29, seconds=59)
    assert sandbox.expire_due_payments() == []
    clock.current = START + timedelta(minutes=30)
    [expired] = sandbox.expire_due_payments()
    assert expired.type is ProviderEventType.PAYMENT_EXPIRED
    assert sandbox.expire_due_payments() == []
    with pytest.raises(PaymentClosed):
        sandbox.complete_payment(session.provider_payment_id, succeeded=True)


async def test_the_same_refund_key_refunds_once(sandbox: SandboxProvider) -> None:
    payment_id = await paid_payment(sandbox)
    clicks = [sandbox.refund(payment_id, Decimal("20.00"), "refund-7") for _ in range(4)]
    results = await asyncio.gather(*clicks)
    assert len({result.provider_refund_id for result in results}) == 1
    assert len(sandbox.store.list_refunds(payment_id)) == 1


async def test_partial_refunds_stop_at_the_captured_amount(sandbox: SandboxProvider) -> None:
    payment_id = await paid_payment(sandbox, "50.00")
    attempts = [sandbox.refund(payment_id, Decimal("1.00"), f"r-{n}") for n in range(100)]
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, RefundExceedsCaptured)]
    assert (len(outcomes) - len(refused), len(refused)) == (50, 50)
    total = sum((r.amount for r in sandbox.store.list_refunds(payment_id)), Decimal(0))
    assert total == Decimal("50.00")


async def test_a_refund_larger_than_captured_is_refused(sandbox: SandboxProvider) -> None:
    payment_id = await paid_payment(sandbox, "50.00")
    with pytest.raises(RefundExceedsCaptured):
        await sandbox.refund(payment_id, Decimal("50.01"), "r-1")
    assert sandbox.store.list_refunds(payment_id) == []


async def test_an_unpaid_payment_cannot_be_refunded(sandbox: SandboxProvider) -> None:
    session = await sandbox.create_payment("DD-1", Decimal("10.00"), "TWD", "https://r", "k")
    with pytest.raises(PaymentNotRefundable):
        await sandbox.refund(session.provider_payment_id, Decimal("10.00"), "r-1")


async def test_a_timeout_after_refunding_is_healed_by_retrying_the_key(
    sandbox: SandboxProvider,
) -> None:
    payment_id = await paid_payment(sandbox)
    sandbox.queue_outcomes(SandboxOutcome.TIMEOUT)
    with pytest.raises(ProviderTimeout):
        await sandbox.refund(payment_id, Decimal("50.00"), "refund-1")
    retried = await sandbox.refund(payment_id, Decimal("50.00"), "refund-1")
    [ledger_entry] = sandbox.store.list_refunds(payment_id)
    assert retried.provider_refund_id == ledger_entry.refund_id
    assert retried.status is RefundStatus.SUCCEEDED


async def test_a_timeout_after_opening_a_payment_is_healed_by_retrying(
    sandbox: SandboxProvider,
) -> None:
    sandbox.queue_outcomes(SandboxOutcome.TIMEOUT)
    args = ("DD-1", Decimal("10.00"), "TWD", "https://r", "k")
    with pytest.raises(ProviderTimeout):
        await sandbox.create_payment(*args)
    session = await sandbox.create_payment(*args)
    assert [p.payment_id for p in sandbox.store.list_payments()] == [session.provider_payment_id]


async def test_an_unreachable_provider_performs_nothing(sandbox: SandboxProvider) -> None:
    payment_id = await paid_payment(sandbox)
    sandbox.queue_outcomes(SandboxOutcome.UNAVAILABLE, SandboxOutcome.FAIL)
    with pytest.raises(ProviderUnavailable):
        await sandbox.refund(payment_id, Decimal("5.00"), "r-1")
    with pytest.raises(ProviderUnavailable):
        await sandbox.create_payment("DD-2", Decimal("1.00"), "TWD", "https://r", "k-2")
    assert sandbox.store.list_refunds(payment_id) == []
    assert len(sandbox.store.list_payments()) == 1


async def test_a_declined_refund_is_failed_and_leaves_the_money_refundable(
    sandbox: SandboxProvider,
) -> None:
    payment_id = await paid_payment(sandbox, "50.00")
    sandbox.queue_outcomes(SandboxOutcome.FAIL)
    declined = await sandbox.refund(payment_id, Decimal("50.00"), "r-1")
    assert declined.status is RefundStatus.FAILED
    assert sandbox.store.list_events()[-1].type is ProviderEventType.REFUND_FAILED
    accepted = await sandbox.refund(payment_id, Decimal("50.00"), "r-2")
    assert accepted.status is RefundStatus.SUCCEEDED


async def test_refund_event_carries_the_refund_id_we_were_given(sandbox: SandboxProvider) -> None:
    payment_id = await paid_payment(sandbox)
    result = await sandbox.refund(payment_id, Decimal("20.00"), "r-1")
    event = sandbox.store.list_events()[-1]
    headers, body = build_webhook(event, SECRET, START)
    parsed = sandbox.parse_webhook(headers, body, [SECRET], START)
    assert parsed.type is ProviderEventType.REFUND_SUCCEEDED
    assert parsed.provider_refund_id == result.provider_refund_id
    assert parsed.amount == Decimal("20.00")


async def test_a_webhook_signed_during_rotation_verifies_with_either_secret(
    sandbox: SandboxProvider,
) -> None:
    await paid_payment(sandbox)
    new_secret = standard_webhooks.generate_secret()
    event = sandbox.store.list_events()[0]
    headers, body = build_webhook(event, SECRET, START, also_signed_with=[new_secret])
    assert sandbox.parse_webhook(headers, body, [new_secret], START) == event
    assert sandbox.parse_webhook(headers, body, [SECRET], START) == event


async def test_a_tampered_amount_is_rejected(sandbox: SandboxProvider) -> None:
    await paid_payment(sandbox)
    headers, body = build_webhook(sandbox.store.list_events()[0], SECRET, START)
    with pytest.raises(WebhookSignatureInvalid):
        sandbox.parse_webhook(headers, body.replace(b"50.00", b"5000.00"), [SECRET], START)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"type":"payment.captured","timestamp":"2025-06-08T06:00:00+00:00","data":{}}',
        b'{"type":"payment.succeeded","timestamp":"2025-06-08T06:00:00","data":'
        b'{"payment_id":"p","amount":"1.00","currency":"TWD"}}',
        b'{"type":"payment.succeeded","timestamp":"2025-06-08T06:00:00+00:00","data":'
        b'{"payment_id":"p","amount":1.5,"currency":"TWD"}}',
        b'{"type":"payment.succeeded","timestamp":"2025-06-08T06:00:00+00:00","data":'
        b'{"payment_id":"p","amount":"-1.00","currency":"TWD"}}',
    ],
)
def test_a_signed_but_unreadable_body_is_malformed(sandbox: SandboxProvider, body: bytes) -> None:
    headers = standard_webhooks.signed_headers("evt_x", int(START.timestamp()), body, [SECRET])
    with pytest.raises(WebhookMalformed):
        sandbox.parse_webhook(headers, body, [SECRET], START)


def test_providers_are_found_by_code(sandbox: SandboxProvider) -> None:
    registry = ProviderRegistry([sandbox])
    assert isinstance(sandbox, PaymentProvider)
    assert registry.get("sandbox") is sandbox
    assert registry.codes() == ["sandbox"]
    with pytest.raises(UnknownProvider):
        registry.get("stripe")
    with pytest.raises(ValueError):
        registry.register(SandboxProvider())
