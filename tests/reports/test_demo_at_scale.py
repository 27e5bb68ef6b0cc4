"""`dingdan demo --orders N`: a year of history loaded in bulk keeps every invariant, and the
rollups rebuilt from it answer what SQL over the orders answers."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from dingdan.orders.service import ORDERS
from dingdan.platform import clock
from dingdan.reports.invariants import run_checks
from dingdan.reports.rollups import rebuild
from dingdan.workflows.demo_history import POPULATION
from dingdan.workflows.load_demo_at_scale import load_demo_at_scale


async def test_bulk_demo_keeps_invariants_and_reports_match_the_orders(client, db, analyst):
    await load_demo_at_scale(db, orders=1200, seed=3)
    assert await rebuild(db) == 1200
    async with db.read() as session:
        assert [f.check for f in await run_checks(session) if f.count] == []
        statuses = dict(
            (await session.execute(select(ORDERS.c.status, func.count()).group_by(ORDERS.c.status))).all()
        )
        sold = await session.scalar(select(func.count()).where(ORDERS.c.status != "cancelled"))
        cities = set((await session.execute(select(ORDERS.c.ship_city))).scalars())
    assert {"completed", "cancelled"} <= set(statuses)
    assert cities <= set(POPULATION) and len(cities) > 10
    today = clock.now().astimezone(ZoneInfo("Asia/Taipei")).date()
    window = {"from": str(today - timedelta(days=366)), "to": str(today)}
    report = (await client.get("/api/v1/reports/sales", params=window, headers=analyst)).json()
    assert report["totals"]["orders"] == sold
    assert int(report["totals"]["refunds"]) > 0
    regions = (await client.get("/api/v1/reports/regions", params=window, headers=analyst)).json()
    assert regions["items"][0]["county"] in {"新北市", "臺中市", "高雄市", "臺北市", "桃園市", "臺南市"}
