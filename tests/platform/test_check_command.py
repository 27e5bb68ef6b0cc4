"""`dingdan check` finds drift, and finds none in a healthy shop."""

from __future__ import annotations

from sqlalchemy import update

from dingdan.inventory.models import StockLevel
from dingdan.orders.models import Order
from dingdan.reports.invariants import run_checks
from factories.shop import make_sku, order_body


async def findings(db) -> dict[str, int]:
    async with db.read() as session:
        return {f.check: f.count for f in await run_checks(session)}


async def test_a_healthy_shop_passes_every_check(client, db, login):
    sku = await make_sku(db, stock=10)
    clerk = await login("clerk")
    first = (await client.post("/api/v1/orders", json=order_body((sku, 2)), headers=clerk)).json()
    body = order_body((sku, 3))
    body["customer"]["phone"] = "0922000111"
    await client.post("/api/v1/orders", json=body, headers=clerk)
    await client.post(f"/api/v1/orders/{first['number']}/cancel", headers=clerk)
    assert set((await findings(db)).values()) == {0}


async def test_drift_is_reported(client, db, login):
    sku = await make_sku(db, stock=10)
    order = (
        await client.post("/api/v1/orders", json=order_body((sku, 2)), headers=await login("clerk"))
    ).json()

    async def corrupt(session):
        await session.execute(update(StockLevel).where(StockLevel.sku == sku).values(on_hand=9))
        await session.execute(update(Order).where(Order.number == order["number"]).values(total=1))

    await db.write(corrupt)
    found = await findings(db)
    assert found["stock levels = sum of the ledger"] == 1
    assert found["order total = lines + shipping − discount"] == 1
