"""The invariant auditor behind `dingdan check`: recomputes what the system promises and
reports every drift. Read-only; tests and the crash runs use it as their oracle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import service as inventory
from dingdan.inventory.models import Movement, StockLevel
from dingdan.orders import rules as order_rules
from dingdan.orders import service as orders
from dingdan.orders.states import OPEN_STATUSES, OrderStatus
from dingdan.platform.events import EventRow

LIMIT = 50  # findings listed per check; the count is always complete


@dataclass
class Finding:
    check: str
    count: int
    examples: list[str] = field(default_factory=list)


Check = Callable[[AsyncSession], Awaitable[Finding]]


async def stock_within_bounds(session: AsyncSession) -> Finding:
    bad = select(StockLevel.sku, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved).where(
        (StockLevel.reserved < 0) | (StockLevel.reserved > StockLevel.on_hand)
    )
    rows = (await session.execute(bad)).all()
    return Finding(
        "stock 0 <= reserved <= on_hand", len(rows), [f"{r[0]}@{r[1]}: {r[2]}/{r[3]}" for r in rows[:LIMIT]]
    )


async def stock_matches_ledger(session: AsyncSession) -> Finding:
    drift = await inventory.ledger_drift(session)
    return Finding(
        "stock levels = sum of the ledger",
        len(drift),
        [
            f"{sku}@{wid}: on_hand {oh} vs ledger {loh}, reserved {r} vs ledger {lr}"
            for sku, wid, oh, loh, r, lr in drift[:LIMIT]
        ],
    )


async def order_totals_add_up(session: AsyncSession) -> Finding:
    lines = orders.LINES
    sums = (
        select(lines.c.order_id, func.sum(lines.c.line_total).label("lines_total"))
        .group_by(lines.c.order_id)
        .subquery()
    )
    table = orders.ORDERS
    rows = await session.execute(
        select(
            table.c.number,
            table.c.currency,
            table.c.subtotal,
            table.c.shipping_fee,
            table.c.discount_total,
            table.c.total,
            sums.c.lines_total,
        ).join(sums, sums.c.order_id == table.c.id)
    )
    wrong = [
        f"{r.number}: total {r.total}, lines {r.lines_total}"
        for r in rows
        if r.subtotal != r.lines_total
        or r.total != order_rules.order_total(r.subtotal, r.shipping_fee, r.discount_total, r.currency)
    ]
    return Finding("order total = lines + shipping − discount", len(wrong), wrong[:LIMIT])


async def reservations_match_orders(session: AsyncSession) -> Finding:
    """Open orders hold what their lines need; closed orders hold nothing (no leaks)."""
    held = dict(
        (
            await session.execute(
                select(Movement.order_ref, func.sum(Movement.delta_reserved))
                .where(Movement.order_ref.is_not(None))
                .group_by(Movement.order_ref)
            )
        ).all()
    )
    table, lines = orders.ORDERS, orders.LINES
    needed = (
        await session.execute(
            select(table.c.number, table.c.status, func.sum(lines.c.quantity - lines.c.backordered_quantity))
            .join(lines, lines.c.order_id == table.c.id)
            .group_by(table.c.number, table.c.status)
        )
    ).all()
    wrong = []
    for number, status, quantity in needed:
        expected = int(quantity) if OrderStatus(status) in OPEN_STATUSES else 0
        if int(held.get(number, 0) or 0) != expected and OrderStatus(status) in OPEN_STATUSES | {
            OrderStatus.CANCELLED
        }:
            wrong.append(f"{number} ({status}): holds {held.get(number, 0)}, should hold {expected}")
    return Finding("reservations match open orders", len(wrong), wrong[:LIMIT])


async def every_order_has_its_event(session: AsyncSession) -> Finding:
    table = orders.ORDERS
    placed = select(EventRow.aggregate_id).where(
        EventRow.aggregate_type == "order", EventRow.topic == "order.placed"
    )
    missing = (
        (await session.execute(select(table.c.number).where(table.c.number.not_in(placed)))).scalars().all()
    )
    orphans = (
        (
            await session.execute(
                select(EventRow.aggregate_id).where(
                    EventRow.aggregate_type == "order",
                    EventRow.topic == "order.placed",
                    EventRow.aggregate_id.not_in(select(table.c.number)),
                )
            )
        )
        .scalars()
        .all()
    )
    examples = [f"{n}: no order.placed event" for n in missing[:LIMIT]]
    examples += [f"{n}: event without an order" for n in orphans[:LIMIT]]
    return Finding("outbox matches committed orders", len(missing) + len(orphans), examples)


CHECKS: list[Check] = [
    stock_within_bounds,
    stock_matches_ledger,
    order_totals_add_up,
    reservations_match_orders,
    every_order_has_its_event,
]


async def run_checks(session: AsyncSession) -> list[Finding]:
    return [await check(session) for check in CHECKS]


async def undelivered_events(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(EventRow).where(EventRow.delivered_at.is_(None))
    )
    return int(count or 0)
