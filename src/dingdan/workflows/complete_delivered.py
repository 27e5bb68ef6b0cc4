"""Delivered orders complete by themselves after `auto_complete_days` (7 by default), unless the
customer confirmed receipt earlier (then they are already completed) or an after-sales request
is open on them (then they wait until it is closed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import service as aftersales
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.events import EventRow
from dingdan.platform.settings import get_settings

BATCH = 200


async def has_open_aftersales_request(session: AsyncSession, *, order_number: str) -> bool:
    """True while a return, refund, exchange or compensation request on the order is open."""
    return await aftersales.has_open_request(session, order_number=order_number)


def delivered_at() -> ColumnElement[Any]:
    """When the order last became delivered (its timeline), else its last change."""
    ORDERS = orders.ORDERS
    reached = (
        select(func.max(EventRow.created_at))
        .where(
            EventRow.aggregate_type == "order",
            EventRow.aggregate_id == ORDERS.c.number,
            EventRow.topic == f"order.{OrderStatus.DELIVERED.value}",
        )
        .scalar_subquery()
    )
    return func.coalesce(reached, ORDERS.c.updated_at)


async def list_due(session: AsyncSession) -> list[str]:
    """Delivered orders whose delivery is the configured days old."""
    cutoff = clock.now() - timedelta(days=get_settings().auto_complete_days)
    stmt = (
        select(orders.ORDERS.c.number)
        .where(orders.ORDERS.c.status == OrderStatus.DELIVERED.value, delivered_at() < cutoff)
        .order_by(orders.ORDERS.c.id)
        .limit(BATCH)
    )
    return list((await session.execute(stmt)).scalars())


async def complete_delivered_orders(db: Database) -> int:
    """One sweep; returns how many orders it completed. Safe to run again."""
    async with db.read() as session:
        numbers = await list_due(session)
    completed = 0
    for number in numbers:
        completed += await db.write(_complete_one, number=number)
    return completed


async def _complete_one(session: AsyncSession, *, number: str) -> int:
    order = await orders.get_order_row(session, number=number, for_update=True)
    if order["status"] != OrderStatus.DELIVERED.value:
        return 0
    if await has_open_aftersales_request(session, order_number=number):
        return 0
    await orders.transition(
        session, order=order, to=OrderStatus.COMPLETED, actor="system", reason="auto_complete_after_delivery"
    )
    return 1
