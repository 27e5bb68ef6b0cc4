"""Scheduled work: unpaid orders expire, delivered orders complete."""

from __future__ import annotations

from datetime import UTC, datetime

from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.workflows import complete_delivered
from dingdan.workflows.complete_delivered import complete_delivered_orders
from dingdan.workflows.expire_unpaid import expire_unpaid_orders
from dingdan.workflows.schedule import JOBS
from factories.shop import make_sku, stock_of
from portal.conftest import place_mine
from portal.test_my_orders import move

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_an_order_left_unpaid_is_cancelled_and_its_stock_is_available_again(client, db, customer):
    frozen = clock.FrozenClock(START)
    clock.set_clock(frozen)
    sku = await make_sku(db, stock=3)
    me = await customer()
    order = await place_mine(client, me, (sku, 3))
    assert await stock_of(db, sku) == (3, 3, 0)
    frozen.advance(minutes=29)
    assert await expire_unpaid_orders(db) == 0
    frozen.advance(minutes=2)
    assert await expire_unpaid_orders(db) == 1
    mine = (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()
    assert mine["status"] == "cancelled" and mine["tab"] == "cancelled"
    assert await stock_of(db, sku) == (3, 0, 3)
    assert (await place_mine(client, me, (sku, 3)))["status"] == "pending_payment"
    assert await expire_unpaid_orders(db) == 0


async def test_delivered_orders_complete_after_the_configured_days(client, db, customer):
    frozen = clock.FrozenClock(START)
    clock.set_clock(frozen)
    sku = await make_sku(db, stock=5)
    me = await customer()
    waiting = await place_mine(client, me, (sku, 1), payment="cod")
    confirmed = await place_mine(client, me, (sku, 2), payment="cod")  # not a duplicate
    for order in (waiting, confirmed):
        await move(db, order["number"], OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    await client.post(f"/api/v1/me/orders/{confirmed['number']}/confirm-receipt", headers=me)
    frozen.advance(days=6, hours=23)
    assert await complete_delivered_orders(db) == 0
    frozen.advance(hours=2)
    assert await complete_delivered_orders(db) == 1
    mine = (await client.get(f"/api/v1/me/orders/{waiting['number']}", headers=me)).json()
    assert mine["status"] == "completed"
    assert {job.name for job in JOBS} >= {"expire_unpaid_orders", "complete_delivered_orders"}


async def test_an_open_after_sales_request_holds_completion(client, db, customer, monkeypatch):
    frozen = clock.FrozenClock(START)
    clock.set_clock(frozen)
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 1), payment="cod")
    await move(db, order["number"], OrderStatus.SHIPPED, OrderStatus.DELIVERED)

    async def request_open(session, *, order_number):
        return order_number == order["number"]

    monkeypatch.setattr(complete_delivered, "has_open_aftersales_request", request_open)
    frozen.advance(days=20)
    assert await complete_delivered_orders(db) == 0
    assert (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()[
        "status"
    ] == "delivered"
