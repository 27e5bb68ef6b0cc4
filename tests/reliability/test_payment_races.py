"""S-WH-4, S-PAY-4 and S-PAY-5: payment webhooks that race our own transactions.

- S-WH-4: the provider calls back before our transaction storing the payment's id commits.
  The event is acknowledged, parked, and applied when the payment is attached.
- S-PAY-4: the customer's return from the pay page and the provider's webhook both report
  the payment at once: one capture, one order.paid, the order in the console.
- S-PAY-5: a payment that succeeds for an order cancelled meanwhile (expired unpaid) is
  recorded and flagged for a refund; it never reserves stock again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dingdan.payments import service as payments
from dingdan.payments.adapters.base import PaymentSession
from dingdan.payments.models import ParkedEvent
from dingdan.workflows.expire_unpaid import expire_unpaid_orders
from dingdan.workflows.payment_webhooks import apply_parked_events
from reliability.shop import Delivery, Shop, audit

EXAMPLES = int(os.environ.get("DINGDAN_STATEFUL_EXAMPLES", "25"))
RACES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def unpaid_order(shop: Shop, stock: int = 5) -> tuple[str, str]:
    sku = await shop.make_sku(stock)
    placed = await shop.place([(sku, 1)], via="storefront", payment="online", key=f"k-{sku}")
    assert placed.status_code == 201, placed.text
    return placed.json()["number"], sku


async def paid_once(shop: Shop, number: str) -> None:
    order = await shop.order(number)
    assert (order["status"], order["payment_status"]) == ("confirmed", "paid")
    timeline = await shop.call("GET", f"/api/v1/orders/{number}/timeline", headers=shop.owner)
    topics = [entry["topic"] for entry in timeline.json()]
    assert topics.count("order.paid") == 1 and topics.count("order.confirmed") == 1
    listed = await shop.call("GET", "/api/v1/orders", params={"status": "confirmed"}, headers=shop.owner)
    assert number in [item["number"] for item in listed.json()["items"]]
    assert await audit(shop.db) == []


@given(
    moment=st.sampled_from(["before_attach", "racing_attach", "after_attach"]),
    yields=st.integers(0, 6),
    replays=st.integers(0, 2),
)
@RACES
def test_s_wh_4_a_webhook_before_our_commit_is_parked_then_applied(
    shop: Shop, moment: str, yields: int, replays: int
) -> None:
    shop.run(_race_the_attach(shop, moment, yields, replays))


async def _race_the_attach(shop: Shop, moment: str, yields: int, replays: int) -> None:
    number, _ = await unpaid_order(shop)
    sandbox, create = shop.sandbox, shop.sandbox.create_payment
    deliveries: list[Delivery] = []
    racing: list[asyncio.Task[str]] = []

    async def calls_back_early(*args: Any, **kwargs: Any) -> PaymentSession:
        opened = await create(*args, **kwargs)
        delivery = Delivery(sandbox.complete_payment(opened.provider_payment_id, succeeded=True))
        deliveries.append(delivery)
        if moment == "before_attach":
            assert await shop.deliver(delivery) == "parked"
        elif moment == "racing_attach":
            racing.append(asyncio.ensure_future(_after(yields, shop.deliver(delivery))))
        return opened

    sandbox.create_payment = calls_back_early  # type: ignore[method-assign]
    try:
        assert await shop.start_payment(number) is not None
    finally:
        del sandbox.create_payment
    outcomes = [await task for task in racing]
    if moment == "after_attach":
        outcomes.append(await shop.deliver(deliveries[0]))
    assert set(outcomes) <= {"applied", "parked"}
    for _ in range(replays):
        assert await shop.deliver(deliveries[0]) == "duplicate"
    await paid_once(shop, number)


async def _after(yields: int, work: Any) -> str:
    for _ in range(yields):
        await asyncio.sleep(0)
    return str(await work)


def test_s_wh_4_the_sweep_applies_events_whose_payment_another_process_stored(shop: Shop) -> None:
    async def scenario() -> None:
        number, _ = await unpaid_order(shop)
        plan: dict[str, Any] = {}
        create = shop.sandbox.create_payment

        async def provider_answer_lost(*args: Any, **kwargs: Any) -> PaymentSession:
            plan["opened"] = await create(*args, **kwargs)
            raise TimeoutError  # our process dies before storing the id

        shop.sandbox.create_payment = provider_answer_lost  # type: ignore[method-assign]
        try:
            with pytest.raises(asyncio.TimeoutError):
                await shop.start_payment(number)
        finally:
            del shop.sandbox.create_payment
        opened: PaymentSession = plan["opened"]
        event = shop.sandbox.complete_payment(opened.provider_payment_id, succeeded=True)
        assert await shop.deliver(Delivery(event)) == "parked"
        assert (await shop.order(number))["payment_status"] == "unpaid"

        async def stored_elsewhere(session: Any) -> None:
            pending = await payments.find_open_payment(session, order_number=number)
            assert pending is not None
            await payments.attach_provider_session(
                session,
                payment_id=pending.id,
                provider_payment_id=opened.provider_payment_id,
                redirect_url=opened.redirect_url,
                expires_at=opened.expires_at,
            )

        await shop.db.write(stored_elsewhere)
        assert await apply_parked_events(shop.db) == 1
        assert await apply_parked_events(shop.db) == 0
        await paid_once(shop, number)
        async with shop.db.read() as session:
            parked = (await session.scalars(select(ParkedEvent))).all()
        assert [row.applied_at is not None for row in parked] == [True]

    shop.run(scenario())


async def pay_on_the_page(shop: Shop, payment_id: str) -> None:
    """The customer on the provider's page presses pay (the page delivers the webhook)."""
    url = f"/payments/sandbox/{payment_id}"
    page = await shop.call("GET", url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text
    answer = await shop.call("POST", url, data={"outcome": "succeed", "csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text


@given(yields=st.integers(0, 8), renamed=st.booleans(), replays=st.integers(0, 2))
@RACES
def test_s_pay_4_pay_page_and_provider_webhook_racing_capture_once(
    shop: Shop, yields: int, renamed: bool, replays: int
) -> None:
    shop.run(_race_two_reports(shop, yields, renamed, replays))


async def _race_two_reports(shop: Shop, yields: int, renamed: bool, replays: int) -> None:
    number, _ = await unpaid_order(shop)
    payment_id = await shop.start_payment(number)
    assert payment_id is not None

    async def provider_notifies() -> list[str]:
        while not any(e.provider_payment_id == payment_id for e in shop.sandbox.store.list_events()):
            await asyncio.sleep(0)
        event = next(e for e in shop.sandbox.store.list_events() if e.provider_payment_id == payment_id)
        for _ in range(yields):
            await asyncio.sleep(0)
        # The provider's own delivery of the capture: the same event, or the same fact under
        # another event id (a second notification type for one capture).
        copy = dataclasses.replace(event, event_id=f"{event.event_id}-again") if renamed else event
        return [await shop.deliver(Delivery(copy)) for _ in range(1 + replays)]

    _, outcomes = await asyncio.gather(pay_on_the_page(shop, payment_id), provider_notifies())
    assert outcomes.count("applied") <= 1
    assert set(outcomes) <= {"applied", "unchanged", "duplicate"}
    assert shop.sandbox.get_payment(payment_id).state.value == "succeeded"
    payments_seen = (await shop.call("GET", f"/api/v1/orders/{number}/payments", headers=shop.owner)).json()
    assert [(p["status"], p["needs_refund"]) for p in payments_seen["payments"]] == [("paid", False)]
    assert Decimal(payments_seen["payments"][0]["amount"]) == Decimal((await shop.order(number))["total"])
    await paid_once(shop, number)


def test_s_pay_5_a_payment_after_the_order_expired_is_flagged_and_reserves_nothing(shop: Shop) -> None:
    async def scenario() -> None:
        number, sku = await unpaid_order(shop, stock=2)
        shop.tick(minutes=10)
        payment_id = await shop.start_payment(number)
        assert payment_id is not None
        shop.tick(minutes=21)  # 31 minutes unpaid: the sweep cancels the order
        assert await expire_unpaid_orders(shop.db) == 1
        assert (await shop.order(number))["status"] == "cancelled"
        shop.tick(minutes=5)  # the provider's payment page is still open: the customer pays
        await pay_on_the_page(shop, payment_id)
        order = await shop.order(number)
        assert (order["status"], order["payment_status"]) == ("cancelled", "paid")
        flagged = (await shop.call("GET", f"/api/v1/orders/{number}/payments", headers=shop.owner)).json()
        assert [(p["needs_refund"], p["flag_reason"]) for p in flagged["payments"]] == [
            (True, "order_cancelled")
        ]
        timeline = await shop.call("GET", f"/api/v1/orders/{number}/timeline", headers=shop.owner)
        assert "order.payment_needs_refund" in [e["topic"] for e in timeline.json()]
        levels = await shop.call("GET", f"/api/v1/inventory/{sku}", headers=shop.owner)
        assert levels.status_code == 200, levels.text
        assert (levels.json()["on_hand"], levels.json()["reserved"]) == (2, 0)
        again = await shop.place([(sku, 2)], via="api", payment="cod", key="after-expiry")
        assert again.status_code == 201, again.text  # the units were not taken back
        assert await audit(shop.db) == []
        refund = await shop.call("POST", f"/api/v1/orders/{number}/refunds", json={}, headers=shop.owner)
        assert refund.status_code == 201 and refund.json()["status"] == "succeeded", refund.text
        assert (await shop.order(number))["payment_status"] == "refunded"
        assert await audit(shop.db) == []

    shop.run(scenario())
