"""Cancelling an order gives back every unit it holds, in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import service as inventory
from dingdan.orders import service as orders
from dingdan.orders.schemas import order_view
from dingdan.orders.states import OrderStatus


async def cancel_order(session: AsyncSession, *, number: str, actor: str, reason: str) -> dict[str, Any]:
    order = await orders.get_order_row(session, number=number, for_update=True)
    updated = await orders.transition(
        session, order=order, to=OrderStatus.CANCELLED, actor=actor, reason=reason
    )
    await inventory.release(session, order_ref=number, actor=actor, reason=f"cancel: {reason}"[:200])
    lines = await orders.get_lines(session, order_ids=[order["id"]])
    return order_view(updated, lines[order["id"]])
