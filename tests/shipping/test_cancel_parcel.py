"""Cancelling a parcel the carrier has not collected puts its units back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dingdan.inventory import service as inventory
from dingdan.inventory.errors import NotReserved
from dingdan.platform import clock
from factories.shipping import place_confirmed_order, push_sim, ship, sim_of, timeline
from factories.shop import make_sku, stock_of

TAIPEI = ZoneInfo("Asia/Taipei")


async def movements(db, sku):
    async with db.read() as session:
        return [(m.kind, m.delta_on_hand, m.delta_reserved) for m in await inventory.list_movements(session, sku=sku)]


async def test_cancelling_an_uncollected_parcel_puts_the_units_back(client, db, login, carriers):
    sku = await make_sku(db, stock=10)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 3))
    staff = await login("warehouse")
    parcel = await ship(client, number, staff, lines=[{"sku": sku, "quantity": 2}])
    assert await stock_of(db, sku) == (8, 1, 7)
    assert (await movements(db, sku))[0] == ("ship", -2, -2)

    answer = await client.post(
        f"/api/v1/shipments/{parcel['id']}/cancel", json={"reason": "客戶改地址"}, headers=staff
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    assert await stock_of(db, sku) == (10, 3, 7)  # back on the shelf, still held for the order
    assert (await movements(db, sku))[0] == ("unship", 2, 2)
    order = (await client.get(f"/api/v1/orders/{number}", headers=staff)).json()
    assert order["fulfillment_status"] == "unfulfilled"
    entries = await timeline(client, number, staff)
    assert entries[-1]["topic"] == "order.parcel_cancelled" and entries[-1]["data"]["reason"] == "客戶改地址"

    again = await ship(client, number, staff)  # all three units can go out again
    assert again["lines"][0]["quantity"] == 3
    assert (await client.get(f"/api/v1/orders/{number}", headers=staff)).json()["status"] == "shipped"
    async with db.read() as session:
        assert await inventory.ledger_drift(session) == []


async def test_a_collected_parcel_cannot_be_cancelled(client, db, login, carriers):
    fixed = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(fixed)
    sku = await make_sku(db, stock=10)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
    staff = await login("warehouse")
    parcel = await ship(client, number, staff)
    fixed.advance(hours=8)
    await push_sim(client, sim_of(carriers), parcel["tracking_number"])
    answer = await client.post(f"/api/v1/shipments/{parcel['id']}/cancel", headers=staff)
    assert answer.status_code == 409
    assert answer.json()["type"] == "/problems/parcel-already-collected"
    assert await stock_of(db, sku) == (9, 0, 9)


async def test_shipping_more_than_the_order_holds_is_refused_and_changes_nothing(client, db, login):
    sku = await make_sku(db, stock=10)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 2))

    async def take(session, quantity):
        return await inventory.ship_reserved(session, order_ref=number, quantities={sku: quantity}, actor="test")

    with pytest.raises(NotReserved):
        await db.write(take, 3)
    assert await stock_of(db, sku) == (10, 2, 8)
    taken = await db.write(take, 2)
    assert [(a.sku, a.quantity) for a in taken] == [(sku, 2)]
    assert await stock_of(db, sku) == (8, 0, 8)
