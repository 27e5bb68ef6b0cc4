"""Money back for an approved after-sales request goes through the payment provider once,
even when the provider times out, and closes the request."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from dingdan.orders.states import OrderStatus
from dingdan.payments.adapters.sandbox import SandboxOutcome
from dingdan.platform import clock
from dingdan.workflows.aftersales_refunds import settle_aftersales_refunds
from factories.shop import make_sku
from portal.conftest import place_mine
from portal.test_my_orders import move
from portal.test_payments import paid_order, sandbox

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def approved_refund(client, db, login, me, number, kind="refund_only", lines=None):
    body = {"kind": kind, "lines": lines or [{"line_no": 1, "quantity": 1}], "reason": "商品瑕疵"}
    made = await client.post(f"/api/v1/me/orders/{number}/aftersales/requests", json=body, headers=me)
    assert made.status_code == 201, made.text
    request = made.json()["number"]
    support = await login("support")
    url = f"/api/v1/aftersales/requests/{request}"
    assert (await client.post(f"{url}/decision", json={"approve": True}, headers=support)).status_code == 200
    assert (await client.post(f"{url}/refund", headers=support)).status_code == 200
    return request


async def request_status(client, me, number):
    mine = (await client.get(f"/api/v1/me/orders/{number}/aftersales", headers=me)).json()
    return mine["requests"][0]["status"]


async def test_an_approved_refund_is_paid_back_once_through_a_timeout(client, db, customer, login):
    clock.set_clock(clock.FrozenClock(START))
    me, order, _ = await paid_order(client, db, customer, price="900")
    number = order["number"]
    await move(db, number, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    await approved_refund(client, db, login, me, number)
    relay = client.app.state.relay
    await relay.drain()
    sandbox(client).queue_outcomes(SandboxOutcome.TIMEOUT)
    assert await settle_aftersales_refunds(db) == 0  # refunded, but no answer: asked again later
    await relay.drain()
    assert await request_status(client, me, number) == "refund_pending"
    assert await settle_aftersales_refunds(db) == 1
    await relay.drain()
    assert await settle_aftersales_refunds(db) == 0  # nothing pending any more
    mine = (await client.get(f"/api/v1/me/orders/{number}", headers=me)).json()
    assert mine["payment_status"] == "partially_refunded"  # the item, not the shipping fee
    assert [Decimal(r["amount"]) for r in mine["refunds"]] == [Decimal("900")]
    provider = sandbox(client)
    payment_id = provider.store.list_payments()[-1].payment_id
    assert [r.amount for r in provider.store.list_refunds(payment_id)] == [Decimal("900.00")]
    assert await request_status(client, me, number) == "completed"


async def test_lost_parcel_compensation_is_refunded_the_same_way(client, db, customer, login):
    clock.set_clock(clock.FrozenClock(START))
    me, order, _ = await paid_order(client, db, customer, price="500")
    number = order["number"]
    await move(db, number, OrderStatus.SHIPPED)
    await approved_refund(client, db, login, me, number, kind="lost_parcel", lines=[])
    await client.app.state.relay.drain()
    assert await settle_aftersales_refunds(db) == 1
    await client.app.state.relay.drain()
    assert await request_status(client, me, number) == "completed"
    mine = (await client.get(f"/api/v1/me/orders/{number}", headers=me)).json()
    assert mine["payment_status"] == "refunded"


async def test_an_order_paid_on_delivery_waits_for_staff_to_pay_back_by_hand(client, db, customer, login):
    clock.set_clock(clock.FrozenClock(START))
    me = await customer()
    sku = await make_sku(db, stock=5)
    number = (await place_mine(client, me, (sku, 1), payment="cod"))["number"]
    await move(db, number, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    await approved_refund(client, db, login, me, number)
    await client.app.state.relay.drain()
    assert await settle_aftersales_refunds(db) == 0
    assert await request_status(client, me, number) == "refund_pending"
    topics = [
        e["topic"]
        for e in (await client.get(f"/api/v1/orders/{number}/timeline", headers=await login("owner"))).json()
    ]
    assert "order.aftersales_refund_by_hand" in topics
