"""Rollups kept by events: idempotent, order-independent, right for late events, and equal to a
rebuild from the orders."""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dingdan.orders.states import OrderStatus
from dingdan.platform.events import Event
from dingdan.reports import rollups
from dingdan.reports.facts import ROLLUP_KEYS
from dingdan.workflows.place_order import Intake, submit_order
from factories.reports import make_products, move, order_request, record


async def snapshot(db: Any) -> dict[str, set[tuple[Any, ...]]]:
    """Every rollup row with a non-zero measure, as comparable tuples."""
    found = {}
    async with db.read() as session:
        for name, table in rollups.ROLLUP_TABLES.items():
            rows = (await session.execute(select(table))).all()
            keys = len(ROLLUP_KEYS[name])
            found[name] = {tuple(row) for row in rows if any(row[keys:])}
    return found


async def sales_on(client: Any, headers: Any, day: date) -> dict[str, Any]:
    params = {"from": str(day), "to": str(day)}
    return (await client.get("/api/v1/reports/sales", params=params, headers=headers)).json()["totals"]


async def test_rebuild_from_orders_equals_what_the_events_built(client, db, history):
    built_by_events = await snapshot(db)
    assert built_by_events["reports_daily_sales"]
    count = await rollups.rebuild(db)
    assert count == len(history.numbers)
    assert await snapshot(db) == built_by_events


async def test_s_out_5_running_a_handler_again_changes_nothing(client, db, history):
    before = await snapshot(db)
    for number in history.numbers[:5]:
        event = Event("order.placed", "order", number, {}, id=10**9)
        await db.write(rollups.on_order_events, [event])
        await db.write(rollups.on_order_events, [event])
    await db.write(rollups.on_order_events, [Event("inventory.adjusted", "sku", "TEA-GRN", {})])
    assert await snapshot(db) == before


async def test_late_refund_and_cancellation_update_the_day_the_order_was_placed(client, db, login):
    await make_products(db)
    headers = await login("owner")
    placed = await submit_order(db, request=order_request(random.Random(1), 1), intake=Intake("t", "t"))
    number = placed.body["number"]
    await client.app.state.relay.drain()
    day = datetime.fromisoformat(placed.body["created_at"]).astimezone(ZoneInfo("Asia/Taipei")).date()
    first = await sales_on(client, headers, day)
    assert first["orders"] == 1
    await record(db, number, "order.refunded", after_days=12, amount="100")
    await client.app.state.relay.drain()
    refunded = await sales_on(client, headers, day)
    assert (refunded["refunds"], int(refunded["net"])) == ("100", int(first["net"]) - 100)
    assert (await sales_on(client, headers, day + timedelta(days=12)))["orders"] == 0
    status = placed.body["status"]
    if status == "pending_review":
        await move(db, number, OrderStatus.CONFIRMED, after_hours=1)
    await move(db, number, OrderStatus.CANCELLED, after_hours=24 * 20)
    await client.app.state.relay.drain()
    assert (await sales_on(client, headers, day))["orders"] == 0


async def test_s_out_2_concurrent_deliveries_of_one_order_count_it_once(client, db, login):
    await make_products(db)
    placed = await submit_order(db, request=order_request(random.Random(2), 2), intake=Intake("t", "t"))
    number = placed.body["number"]
    await asyncio.gather(*(db.write(rollups.refresh_order, number=number) for _ in range(6)))
    async with db.read() as session:
        rows = (await session.execute(select(rollups.ROLLUP_TABLES["reports_daily_sales"]))).mappings().all()
    assert sum(row["orders"] for row in rows) == 1
