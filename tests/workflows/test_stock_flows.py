"""Backorders, unpaid-order expiry and low-stock events through the real workflows."""

from __future__ import annotations

from datetime import timedelta

from dingdan.platform import clock, events
from dingdan.workflows import expire_unpaid
from dingdan.workflows.expire_unpaid import expire_unpaid_orders
from factories.shop import make_sku, order_body, stock_of


async def test_backorder_channel_accepts_flags_and_reserves_when_stock_arrives(client, db, login):
    owner = await login("owner")
    await client.post(
        "/api/v1/channels",
        headers=owner,
        json={
            "code": "shopee",
            "name": "蝦皮",
            "type": "marketplace",
            "stock_policy": "backorder",
            "auto_confirm": True,
            "orders_arrive_paid": True,
        },
    )
    sku = await make_sku(db, stock=2)
    order = (
        await client.post("/api/v1/orders", json=order_body((sku, 5), channel="shopee"), headers=owner)
    ).json()
    assert order["status"] == "pending_review"
    assert order["payment_status"] == "paid"
    assert order["lines"][0]["backordered_quantity"] == 3
    assert any(i["code"] == "backordered" for i in order["review_issues"])
    assert await stock_of(db, sku) == (2, 2, 0)
    confirm = await client.post(f"/api/v1/orders/{order['number']}/confirm", headers=owner)
    assert confirm.status_code == 409 and confirm.json()["type"] == "/problems/backorder-outstanding"
    await client.post(
        f"/api/v1/inventory/{sku}/adjustments", json={"delta": 10, "reason": "進貨"}, headers=owner
    )
    await client.app.state.relay.drain()
    after = (await client.get(f"/api/v1/orders/{order['number']}", headers=owner)).json()
    assert after["lines"][0]["backordered_quantity"] == 0
    assert not any(i["code"] == "backordered" for i in after["review_issues"])
    assert await stock_of(db, sku) == (12, 5, 7)
    assert (await client.post(f"/api/v1/orders/{order['number']}/confirm", headers=owner)).status_code == 200


async def test_s_inv_7_unpaid_orders_are_cancelled_after_the_timeout_and_stock_comes_back(client, db, login):
    sku = await make_sku(db, stock=3)
    frozen = clock.FrozenClock()
    clock.set_clock(frozen)
    order = (
        await client.post(
            "/api/v1/orders", json=order_body((sku, 3), payment="online"), headers=await login("clerk")
        )
    ).json()
    assert await stock_of(db, sku) == (3, 3, 0)
    frozen.advance(minutes=29)
    assert await expire_unpaid_orders(db) == 0
    frozen.advance(minutes=2)
    assert await expire_unpaid_orders(db) == 1
    assert await expire_unpaid_orders(db) == 0  # a second sweep changes nothing
    assert await stock_of(db, sku) == (3, 0, 3)
    async with db.read() as session:
        timeline = await events.list_for(session, "order", order["number"])
    assert timeline[-1].payload["reason"] == "unpaid_timeout"
    assert timeline[-1].created_at - timeline[0].created_at >= timedelta(minutes=30)


async def test_one_sweep_expires_every_due_order_however_many_batches_they_fill(
    client, db, login, monkeypatch
):
    monkeypatch.setattr(expire_unpaid, "BATCH", 4)
    sku = await make_sku(db, stock=20)
    frozen = clock.FrozenClock()
    clock.set_clock(frozen)
    clerk = await login("clerk")
    for _ in range(10):
        placed = await client.post(
            "/api/v1/orders", json=order_body((sku, 2), payment="online"), headers=clerk
        )
        assert placed.status_code == 201
    frozen.advance(minutes=31)
    assert await expire_unpaid.expire_unpaid_orders(db) == 10
    assert await stock_of(db, sku) == (20, 0, 20)


async def test_low_stock_is_an_event_once_per_crossing(client, db, login):
    sku = await make_sku(db, stock=6, threshold=3)
    clerk = await login("clerk")
    for phone in ("0911111111", "0922222222", "0933333333"):
        body = order_body((sku, 1))
        body["customer"]["phone"] = phone
        await client.post("/api/v1/orders", json=body, headers=clerk)
    async with db.read() as session:
        alerts = await events.list_for(session, "sku", sku)
    low = [e for e in alerts if e.topic == "inventory.low_stock"]
    assert [e.payload["available"] for e in low] == [3]
