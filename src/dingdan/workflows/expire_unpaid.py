"""Orders left unpaid past the timeout are cancelled and their stock released."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings
from dingdan.workflows.cancel_order import cancel_order

BATCH = 200
ROUND_SECONDS = 20.0


async def list_expired(session: AsyncSession) -> list[str]:
    cutoff = clock.now() - timedelta(minutes=get_settings().unpaid_timeout_minutes)
    stmt = (
        select(orders.ORDERS.c.number)
        .where(
            orders.ORDERS.c.status == OrderStatus.PENDING_PAYMENT.value, orders.ORDERS.c.created_at < cutoff
        )
        .order_by(orders.ORDERS.c.id)
        .limit(BATCH)
    )
    return list((await session.execute(stmt)).scalars())


async def expire_unpaid_orders(db: Database) -> int:
    """One sweep, batch after batch until no order is due or the round's time is spent (the
    schedule comes back 30 s later); safe to run again: a cancelled order is no longer
    pending payment."""
    started, expired = time.monotonic(), 0
    while True:
        async with db.read() as session:
            numbers = await list_expired(session)
        for number in numbers:
            await db.write(_expire_one, number=number)
        expired += len(numbers)
        if len(numbers) < BATCH or time.monotonic() - started > ROUND_SECONDS:
            return expired


async def _expire_one(session: AsyncSession, *, number: str) -> None:
    order = await orders.get_order_row(session, number=number, for_update=True)
    if order["status"] == OrderStatus.PENDING_PAYMENT.value:
        await cancel_order(session, number=number, actor="system", reason="unpaid_timeout")
