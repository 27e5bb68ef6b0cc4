"""Paying in the sandbox, signed webhooks, and refunds recorded on the order."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

from sqlalchemy import func, select

from dingdan.payments.adapters.sandbox import SandboxOutcome, build_webhook
from dingdan.payments.adapters.standard_webhooks import generate_secret
from dingdan.payments.models import Payment, WebhookReceipt
from dingdan.platform import clock
from dingdan.platform.events import EventRow
from dingdan.workflows.forget_webhooks import forget_old_webhooks
from factories.shop import make_sku, stock_of
from portal.conftest import place_mine


def sandbox(client):
    return client.app.state.payment_providers.get("sandbox")


def secret(client):
    return client.app.state.payment_webhook_secrets["sandbox"][0]


async def start_payment(client, me, number):
    response = await client.post(f"/api/v1/me/orders/{number}/pay", headers=me)
    assert response.status_code == 200, response.text
    return response.json()


async def pay_in_sandbox(client, redirect_url, outcome="succeed", apply=True):
    """What the customer does on the hosted page: open it, press pay (or fail)."""
    page = await client.get(redirect_url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    back = await client.post(redirect_url, data={"outcome": outcome, "csrf_token": token})
    # The provider's webhook is processed off the request path: one relay batch applies it
    # (and leaves the reactions to it, such as an automatic refund, to later batches).
    if apply:
        await client.app.state.relay.deliver_batch()
    return back


async def timeline_topics(client, login, number):
    entries = (await client.get(f"/api/v1/orders/{number}/timeline", headers=await login("owner"))).json()
    return [e["topic"] for e in entries]


async def events_of(db, topic, number):
    async with db.read() as session:
        return await session.scalar(
            select(func.count())
            .select_from(EventRow)
            .where(EventRow.topic == topic, EventRow.aggregate_id == number)
        )


async def paid_order(client, db, customer, price="900"):
    sku = await make_sku(db, stock=5, price=price)
    me = await customer()
    order = await place_mine(client, me, (sku, 1))
    started = await start_payment(client, me, order["number"])
    await pay_in_sandbox(client, started["redirect_url"])
    return me, order, sku


async def test_pay_in_the_sandbox_moves_the_order_to_be_shipped(client, db, customer, login):
    sku = await make_sku(db, stock=5, price="900")
    me = await customer()
    order = await place_mine(client, me, (sku, 1))
    started = await start_payment(client, me, order["number"])
    assert started["redirect_url"].startswith("/payments/sandbox/")
    assert (await start_payment(client, me, order["number"])) == started  # idempotent while open
    page = await client.get(started["redirect_url"])
    assert page.status_code == 200 and order["number"] in page.text and "付款成功" in page.text
    back = await pay_in_sandbox(client, started["redirect_url"])
    assert back.status_code == 303 and back.headers["location"] == f"/account/orders/{order['number']}"
    mine = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert (mine["status"], mine["payment_status"], mine["tab"]) == ("confirmed", "paid", "to_ship")
    assert mine["payments"][0]["status"] == "paid" and "pay" not in mine["actions"]
    assert await stock_of(db, sku) == (5, 1, 4)
    topics = await timeline_topics(client, login, order["number"])
    assert topics[-3:] == ["order.payment_started", "order.paid", "order.confirmed"]


async def test_the_api_says_a_payment_is_being_confirmed_until_its_webhook_is_applied(client, db, customer):
    sku = await make_sku(db, stock=5, price="900")
    me = await customer()
    order = await place_mine(client, me, (sku, 1))
    assert order["payment_confirming"] is False and "pay" in order["actions"]
    started = await start_payment(client, me, order["number"])
    await pay_in_sandbox(client, started["redirect_url"], apply=False)
    waiting = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert (waiting["status"], waiting["payment_confirming"]) == ("pending_payment", True)
    assert "pay" not in waiting["actions"]  # paying again now would open a second payment
    await client.app.state.relay.deliver_batch()
    applied = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert (applied["status"], applied["payment_confirming"]) == ("confirmed", False)


async def test_a_failed_payment_can_be_tried_again(client, db, customer):
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 1))
    first = await start_payment(client, me, order["number"])
    await pay_in_sandbox(client, first["redirect_url"], "fail")
    mine = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert mine["status"] == "pending_payment" and mine["actions"][0] == "pay"
    second = await start_payment(client, me, order["number"])
    assert second["payment_id"] != first["payment_id"]
    await pay_in_sandbox(client, second["redirect_url"])
    assert (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()[
        "payment_status"
    ] == "paid"


async def test_s_wh_1_a_webhook_with_a_bad_signature_is_401_and_writes_nothing(client, db, customer):
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 1))
    started = await start_payment(client, me, order["number"])
    event = sandbox(client).complete_payment(started["redirect_url"].rsplit("/", 1)[1], succeeded=True)
    headers, body = build_webhook(event, generate_secret(), clock.now())
    forged = await client.post("/webhooks/payments/sandbox", content=body, headers=headers)
    assert forged.status_code == 401 and forged.json()["type"] == "/problems/webhook-signature-invalid"
    unsigned = await client.post(
        "/webhooks/payments/sandbox", content=body, headers={"content-type": "application/json"}
    )
    assert unsigned.status_code == 401
    tampered_headers, _ = build_webhook(event, secret(client), clock.now())
    tampered = body.replace(b'"amount":"', b'"amount":"1')
    assert (
        await client.post("/webhooks/payments/sandbox", content=tampered, headers=tampered_headers)
    ).status_code == 401
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookReceipt)) == 0
    assert (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()[
        "payment_status"
    ] == "unpaid"


async def test_s_wh_3_replayed_webhooks_change_nothing(client, db, customer, login):
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 1))
    started = await start_payment(client, me, order["number"])
    event = sandbox(client).complete_payment(started["redirect_url"].rsplit("/", 1)[1], succeeded=True)
    headers, body = build_webhook(event, secret(client), clock.now())
    first = await client.post("/webhooks/payments/sandbox", content=body, headers=headers)
    assert first.json() == {"outcome": "accepted"}
    await client.app.state.relay.drain()
    before = await timeline_topics(client, login, order["number"])
    for _ in range(3):
        again = await client.post("/webhooks/payments/sandbox", content=body, headers=headers)
        assert again.status_code == 200 and again.json() == {"outcome": "duplicate"}
    assert await client.app.state.relay.drain() == 0  # a replay queues nothing
    assert await timeline_topics(client, login, order["number"]) == before
    assert before.count("order.paid") == 1


async def test_s_pay_5_a_payment_for_a_cancelled_order_is_flagged_for_refund_and_reserves_nothing(
    client, db, customer, login
):
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 2))
    started = await start_payment(client, me, order["number"])
    await client.post(f"/api/v1/me/orders/{order['number']}/cancel", headers=me)
    assert await stock_of(db, sku) == (5, 0, 5)
    await pay_in_sandbox(client, started["redirect_url"])
    assert await stock_of(db, sku) == (5, 0, 5)
    staff_view = (
        await client.get(f"/api/v1/orders/{order['number']}/payments", headers=await login("owner"))
    ).json()
    payment = staff_view["payments"][0]
    assert (payment["status"], payment["needs_refund"], payment["flag_reason"]) == (
        "paid",
        True,
        "order_cancelled",
    )
    mine = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert mine["status"] == "cancelled"
    assert "order.payment_needs_refund" in await timeline_topics(client, login, order["number"])
    refund = await client.post(
        f"/api/v1/orders/{order['number']}/refunds",
        json={"reason": "訂單已取消"},
        headers=await login("owner"),
    )
    assert refund.status_code == 201 and refund.json()["status"] == "succeeded"


async def test_s_pay_1_partial_then_full_refund_and_never_more(client, db, customer, login):
    me, order, _ = await paid_order(client, db, customer, price="900")  # total 980 with shipping
    owner = await login("owner")
    url = f"/api/v1/orders/{order['number']}/refunds"
    part = await client.post(url, json={"amount": "300", "reason": "少一件"}, headers=owner)
    assert part.status_code == 201 and part.json()["amount"] == "300.00"
    mine = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert mine["payment_status"] == "partially_refunded" and mine["refunds"][0]["amount"] == "300"
    too_much = await client.post(url, json={"amount": "681"}, headers=owner)
    assert too_much.status_code == 409 and too_much.json()["type"] == "/problems/refund-exceeds-captured"
    assert too_much.json()["errors"][0]["field"] == "/amount"
    rest = await client.post(url, json={}, headers=owner)
    assert rest.status_code == 201 and rest.json()["amount"] == "680.00"
    mine = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert mine["payment_status"] == "refunded"
    assert (await client.post(url, json={"amount": "1"}, headers=owner)).status_code == 409
    assert (await timeline_topics(client, login, order["number"])).count("order.refunded") == 2
    clerkless = await client.post(url, json={"amount": "1"}, headers=await login("analyst"))
    assert clerkless.status_code == 403


async def test_s_pay_2_concurrent_partial_refunds_never_exceed_the_captured_amount(
    client, db, customer, login
):
    _, order, _ = await paid_order(client, db, customer, price="900")  # 980 captured
    owner = await login("owner")
    url = f"/api/v1/orders/{order['number']}/refunds"
    answers = await asyncio.gather(
        *[client.post(url, json={"amount": "300"}, headers=owner) for _ in range(6)]
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 201, 201, 409, 409, 409]
    staff_view = (await client.get(f"/api/v1/orders/{order['number']}/payments", headers=owner)).json()
    refunded = sum(Decimal(r["amount"]) for r in staff_view["refunds"] if r["status"] == "succeeded")
    assert refunded == Decimal("900")
    provider_refunds = sandbox(client).store.list_refunds(staff_view["payments"][0]["provider_payment_id"])
    assert sum(r.amount for r in provider_refunds) == Decimal("900")


async def test_s_pay_3_a_timed_out_refund_is_retried_with_the_same_provider_key(client, db, customer, login):
    _, order, _ = await paid_order(client, db, customer)
    owner = {**(await login("owner")), "Idempotency-Key": "refund-7"}
    url = f"/api/v1/orders/{order['number']}/refunds"
    sandbox(client).queue_outcomes(SandboxOutcome.TIMEOUT)
    lost = await client.post(url, json={"amount": "100"}, headers=owner)
    assert lost.status_code == 504
    retried = await client.post(url, json={"amount": "100"}, headers=owner)
    assert retried.status_code == 201 and retried.json()["status"] == "succeeded", retried.text
    again = await client.post(url, json={"amount": "100"}, headers=owner)
    assert again.json()["id"] == retried.json()["id"]
    async with db.read() as session:
        payment = await session.scalar(select(Payment).where(Payment.order_number == order["number"]))
    assert len(sandbox(client).store.list_refunds(payment.provider_payment_id)) == 1
    assert payment.status == "partially_refunded"


async def test_s_wh_9_provider_refund_echo_is_applied_once(client, db, customer, login):
    _, order, _ = await paid_order(client, db, customer)
    await client.post(
        f"/api/v1/orders/{order['number']}/refunds", json={"amount": "50"}, headers=await login("owner")
    )
    echo = sandbox(client).store.list_events()[-1]
    headers, body = build_webhook(echo, secret(client), clock.now())
    assert (await client.post("/webhooks/payments/sandbox", content=body, headers=headers)).status_code == 200
    await client.app.state.relay.drain()
    assert await events_of(db, "order.refunded", order["number"]) == 1


async def test_s_wh_8_a_payment_webhook_redelivered_3_days_and_1_hour_later_is_a_duplicate(
    client, db, customer
):
    frozen = clock.FrozenClock()
    clock.set_clock(frozen)
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 1))
    started = await start_payment(client, me, order["number"])
    event = sandbox(client).complete_payment(started["redirect_url"].rsplit("/", 1)[1], succeeded=True)
    headers, body = build_webhook(event, secret(client), clock.now())
    assert (await client.post("/webhooks/payments/sandbox", content=body, headers=headers)).json() == {
        "outcome": "accepted"
    }
    await client.app.state.relay.drain()
    frozen.advance(days=3, hours=1)
    assert await forget_old_webhooks(db) == 0  # the hourly purge keeps it: inside the retention
    headers, body = build_webhook(event, secret(client), clock.now())  # each attempt is signed anew
    again = await client.post("/webhooks/payments/sandbox", content=body, headers=headers)
    assert again.status_code == 200 and again.json() == {"outcome": "duplicate"}
    assert await client.app.state.relay.drain() == 0
    assert await events_of(db, "order.paid", order["number"]) == 1
