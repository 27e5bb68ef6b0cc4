"""Delivered orders complete by themselves after `auto_complete_days` (7 by default), unless the
customer confirmed receipt earlier (then they are already completed) or an after-sales request
is open on them (then they wait until it is closed)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings

BATCH = 200


async def has_open_aftersales_request(session: AsyncSession, *, order_number: str) -> bool:
    """Hook for the after-sales domain: True while a return/refund request on the order is open.

    Until after-sales exists no request can be open, so delivered orders complete on time.
    """
    return False


async def list_due(session: AsyncSession) -> list[str]:
    """Delivered orders untouched for the configured days (any later change restarts the wait)."""
    cutoff = clock.now() - timedelta(days=get_settings().auto_complete_days)
    stmt = (
        select(orders.ORDERS.c.number)
        .where(orders.ORDERS.c.status == OrderStatus.DELIVERED.value, orders.ORDERS.c.updated_at < cutoff)
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
