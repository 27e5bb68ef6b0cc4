"""When stock arrives, orders waiting for it are reserved, oldest first."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import service as inventory
from dingdan.orders import service as orders
from dingdan.orders.states import OPEN_STATUSES
from dingdan.platform import events

LINES, ORDERS = orders.LINES, orders.ORDERS


async def allocate_backorders(session: AsyncSession, *, sku: str, actor: str = "system") -> int:
    """Reserve waiting lines of `sku` while stock lasts; returns the units reserved."""
    waiting = (
        (
            await session.execute(
                select(
                    LINES.c.id,
                    LINES.c.order_id,
                    LINES.c.backordered_quantity,
                    ORDERS.c.number,
                    ORDERS.c.review_issues,
                    ORDERS.c.version,
                )
                .join(ORDERS, ORDERS.c.id == LINES.c.order_id)
                .where(
                    LINES.c.sku == sku,
                    LINES.c.backordered_quantity > 0,
                    ORDERS.c.status.in_([s.value for s in OPEN_STATUSES]),
                )
                .order_by(LINES.c.order_id, LINES.c.line_no)
            )
        )
        .mappings()
        .all()
    )
    reserved_total = 0
    for line in waiting:
        levels = await inventory.get_levels(session, sku=sku)
        take = min(levels.available, line["backordered_quantity"])
        if take <= 0:
            break
        await inventory.reserve(
            session, demand={sku: take}, order_ref=line["number"], actor=actor, allow_shortage=False
        )
        left = line["backordered_quantity"] - take
        await session.execute(update(LINES).where(LINES.c.id == line["id"]).values(backordered_quantity=left))
        if left == 0:
            await _clear_backorder_issue(session, line["number"], sku)
        reserved_total += take
    return reserved_total


async def _clear_backorder_issue(session: AsyncSession, number: str, sku: str) -> None:
    order = await orders.get_order_row(session, number=number)
    issues = [
        i
        for i in order["review_issues"]
        if not (i["code"] == "backordered" and i["params"].get("sku") == sku)
    ]
    await orders.update_fields(
        session,
        order=order,
        values={"review_issues": issues},
        event=orders.TimelineEvent("order.backorder_reserved", "system", {"sku": sku}),
    )


async def on_stock_adjusted(session: AsyncSession, event: events.Event) -> None:
    if event.payload.get("delta", 0) > 0:
        await allocate_backorders(session, sku=event.aggregate_id)
