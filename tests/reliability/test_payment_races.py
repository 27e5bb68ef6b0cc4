"""S-WH-4, S-PAY-4 and S-PAY-5: payment webhooks that race our own transactions.

- S-WH-4: the provider calls back before our transaction storing the payment's id commits.
  The event is acknowledged, parked, and applied when the payment is attached.
- S-PAY-4: the customer's return from the pay page and the provider's webhook both report
  the payment at once: one capture, one order.paid, the order in the console.
- S-PAY-5: a payment that succeeds for an order cancelled meanwhile (expired unpaid) is
  recorded and flagged for a refund; it never reserves stock again. Staff are alerted, the
  customer is told, and the whole capture goes back once: by itself (the default), or by a
  person's one click in the console when the shop turned that off.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dingdan.inventory.models import StockLevel
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import PaymentSession, ProviderEventType
from dingdan.payments.adapters.sandbox import SandboxOutcome
from dingdan.payments.models import ParkedEvent
from dingdan.platform.settings import get_settings
from dingdan.workflows.expire_unpaid import expire_unpaid_orders
from dingdan.workflows.late_payment_refunds import settle_late_payment_refunds
from dingdan.workflows.payment_webhooks import apply_parked_events
from reliability.shop import PASSWORD, Delivery, Shop, audit

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
    await shop.process_webhooks()  # the webhook it delivered is processed off the request path


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


# --- S-PAY-5: what happens to the late payment's money ------------------------------------------
async def paid_after_expiry(shop: Shop, stock: int = 2) -> tuple[str, str, str]:
    """An order that expired unpaid and was cancelled, then paid on the still open pay page:
    (order number, SKU, provider payment id)."""
    number, sku = await unpaid_order(shop, stock=stock)
    shop.tick(minutes=10)
    payment_id = await shop.start_payment(number)
    assert payment_id is not None
    shop.tick(minutes=21)  # 31 minutes unpaid: the sweep cancels the order
    assert await expire_unpaid_orders(shop.db) == 1
    shop.tick(minutes=5)  # the provider's page is still open: the customer pays
    await pay_on_the_page(shop, payment_id)
    assert (await shop.order(number))["status"] == "cancelled"
    return number, sku, payment_id


def capture_of(shop: Shop, payment_id: str) -> Delivery:
    event = next(
        e
        for e in shop.sandbox.store.list_events()
        if e.provider_payment_id == payment_id and e.type is ProviderEventType.PAYMENT_SUCCEEDED
    )
    return Delivery(event)


async def replay_capture(shop: Shop, payment_id: str, times: int) -> None:
    """The provider sends the capture again: the same event, and the same fact renamed."""
    capture = capture_of(shop, payment_id)
    for _ in range(times):
        assert await shop.deliver(capture) == "duplicate"
    renamed = dataclasses.replace(capture.event, event_id=f"{capture.event_id}-again")
    assert await shop.deliver(Delivery(renamed)) in {"unchanged", "duplicate"}


async def stock_never_re_reserved(shop: Shop, sku: str, on_hand: int) -> None:
    async with shop.db.read() as session:
        levels = (await session.scalars(select(StockLevel))).all()
    assert all(0 <= level.reserved <= level.on_hand for level in levels)
    assert [(level.on_hand, level.reserved) for level in levels if level.sku == sku] == [(on_hand, 0)]


async def deliveries(shop: Shop, number: str, template: str) -> list[dict[str, Any]]:
    answer = await shop.call(
        "GET", "/api/v1/notifications/deliveries", params={"order": number}, headers=shop.owner
    )
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json()["items"] if d["template"] == template]


async def topics(shop: Shop, number: str) -> list[str]:
    timeline = await shop.call("GET", f"/api/v1/orders/{number}/timeline", headers=shop.owner)
    return [entry["topic"] for entry in timeline.json()]


async def refunds_seen(shop: Shop, number: str, payment_id: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """(the provider's refunds of the payment, our refund rows)."""
    ours = (await shop.call("GET", f"/api/v1/orders/{number}/payments", headers=shop.owner)).json()
    return list(shop.sandbox.store.list_refunds(payment_id)), ours["refunds"]


async def refunded_once(shop: Shop, number: str, payment_id: str) -> None:
    at_provider, ours = await refunds_seen(shop, number, payment_id)
    total = Decimal((await shop.order(number))["total"])
    assert [r.amount for r in at_provider] == [total]  # the whole capture, once
    assert [(r["status"], Decimal(r["amount"])) for r in ours] == [("succeeded", total)]
    order = await shop.order(number)
    assert (order["status"], order["payment_status"]) == ("cancelled", "refunded")
    assert (await topics(shop, number)).count("order.refunded") == 1
    assert await audit(shop.db) == []


def test_s_pay_5_a_late_payment_alerts_staff_tells_the_customer_and_is_refunded_once(shop: Shop) -> None:
    async def scenario() -> None:
        number, sku, payment_id = await paid_after_expiry(shop)
        await replay_capture(shop, payment_id, times=3)
        await shop.drain()
        await stock_never_re_reserved(shop, sku, on_hand=2)
        alerts = (await shop.call("GET", "/api/v1/notifications/alerts", headers=shop.owner)).json()
        queued = [a for a in alerts["items"] if a["template"] == "merchant.payment_refund_queued"]
        assert [a["order_number"] for a in queued] == [number]
        assert "已取消" in queued[0]["text"] and "自動退款" in queued[0]["text"]
        told = await deliveries(shop, number, "order.payment_to_be_refunded")
        assert told and all("退回" in d["text"] and "已取消" in d["text"] for d in told)
        at_provider, ours = await refunds_seen(shop, number, payment_id)
        assert at_provider == [] and [r["status"] for r in ours] == ["pending"]  # queued, not yet sent
        assert await settle_late_payment_refunds(shop.db) == 1
        await replay_capture(shop, payment_id, times=2)  # late replays queue nothing more
        await shop.drain()
        assert await settle_late_payment_refunds(shop.db) == 0
        echo = next(
            e for e in shop.sandbox.store.list_events() if e.type is ProviderEventType.REFUND_SUCCEEDED
        )
        assert [await shop.deliver(Delivery(echo)) for _ in range(2)] == ["applied", "duplicate"]
        await shop.drain()
        await refunded_once(shop, number, payment_id)
        timeline = await topics(shop, number)
        assert [timeline.count(t) for t in ("order.payment_needs_refund", "order.refund_requested")] == [1, 1]
        assert await deliveries(shop, number, "order.refund_issued")  # and then: the refund is issued
        await stock_never_re_reserved(shop, sku, on_hand=2)
        again = await shop.place([(sku, 2)], via="api", payment="cod", key="after-refund")
        assert again.status_code == 201, again.text

    shop.run(scenario())


def test_s_pay_5_a_crash_between_queueing_and_refunding_is_retried_and_refunds_once(shop: Shop) -> None:
    async def scenario() -> None:
        number, sku, payment_id = await paid_after_expiry(shop)
        await shop.drain()  # the refund is queued; the process dies before calling the provider
        shop.sandbox.queue_outcomes(SandboxOutcome.TIMEOUT)  # next: refunded, answer lost
        assert await settle_late_payment_refunds(shop.db) == 0
        at_provider, ours = await refunds_seen(shop, number, payment_id)
        assert len(at_provider) == 1 and [r["status"] for r in ours] == ["pending"]
        await replay_capture(shop, payment_id, times=1)
        await shop.drain()
        assert await settle_late_payment_refunds(shop.db) == 1  # asked again, same key
        assert await settle_late_payment_refunds(shop.db) == 0
        await refunded_once(shop, number, payment_id)
        await stock_never_re_reserved(shop, sku, on_hand=2)

    shop.run(scenario())


async def console_as_owner(shop: Shop) -> tuple[httpx.AsyncClient, str]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=shop.app), base_url="http://test")
    page = await http.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {
        "email": "owner@shop.test",
        "password": PASSWORD,
        "csrf_token": token.group(1),
        "next": "/console/",
    }
    assert (await http.post("/console/login", data=form)).status_code == 303
    return http, token.group(1)


async def click_refund(http: httpx.AsyncClient, csrf: str, number: str, payment: int) -> str:
    form = {"csrf_token": csrf, "back": "/console/orders"}
    answer = await http.post(f"/console/orders/{number}/payments/{payment}/refund", data=form)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_s_pay_5_with_automatic_refunds_off_a_person_refunds_in_one_click_once(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "auto_refund_late_payments", False)

    async def scenario() -> None:
        number, sku, payment_id = await paid_after_expiry(shop)
        await replay_capture(shop, payment_id, times=2)
        await shop.drain()
        assert await settle_late_payment_refunds(shop.db) == 0
        assert await refunds_seen(shop, number, payment_id) == ([], [])  # left for a person
        alerts = (await shop.call("GET", "/api/v1/notifications/alerts", headers=shop.owner)).json()
        waiting = [a for a in alerts["items"] if a["template"] == "merchant.payment_needs_refund"]
        assert [a["order_number"] for a in waiting] == [number] and "請退款" in waiting[0]["text"]
        assert await deliveries(shop, number, "order.payment_to_be_refunded")
        await stock_never_re_reserved(shop, sku, on_hand=2)
        http, csrf = await console_as_owner(shop)
        try:
            listed = await http.get("/console/orders")
            flagged = re.findall(r'data-testid="refund-payment-(\d+)"', listed.text)
            assert len(flagged) == 1 and "訂單已取消後才付款" in listed.text, listed.text
            english = await http.get(f"/console/orders/{number}", params={"lang": "en"})
            assert "Paid after the order was cancelled" in english.text
            clicks = await asyncio.gather(
                *(click_refund(http, csrf, number, int(flagged[0])) for _ in range(2))
            )
            assert any("done=refunded" in where for where in clicks), clicks
            assert "done=refunded" in await click_refund(http, csrf, number, int(flagged[0]))
            assert "payments-to-refund" not in (await http.get("/console/orders")).text
            page = await http.get(f"/console/orders/{number}")
            assert 'data-refund-state="refunded"' in page.text and "refund-payment-" not in page.text
        finally:
            await http.aclose()
        await shop.drain()
        await refunded_once(shop, number, payment_id)
        await stock_never_re_reserved(shop, sku, on_hand=2)

    shop.run(scenario())


def test_s_pay_5_the_automatic_refund_and_a_persons_clicks_at_once_refund_once(shop: Shop) -> None:
    async def scenario() -> None:
        number, sku, payment_id = await paid_after_expiry(shop)
        await shop.drain()
        http, csrf = await console_as_owner(shop)
        try:
            page = await http.get(f"/console/orders/{number}")
            assert 'data-refund-state="queued"' in page.text
            flagged = int(re.findall(r'data-testid="refund-payment-(\d+)"', page.text)[0])
            await asyncio.gather(
                settle_late_payment_refunds(shop.db),
                click_refund(http, csrf, number, flagged),
                click_refund(http, csrf, number, flagged),
            )
        finally:
            await http.aclose()
        assert await settle_late_payment_refunds(shop.db) == 0
        await shop.drain()
        await refunded_once(shop, number, payment_id)
        await stock_never_re_reserved(shop, sku, on_hand=2)

    shop.run(scenario())
