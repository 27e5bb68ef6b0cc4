"""Keeping the rollups current: one order at a time (events) or all at once (rebuild).

A refresh reads the order as it is now, computes its fact, and adds to each rollup the
difference between the new and the stored contribution, in the handler's transaction. Running
it twice, or for events that arrive late or out of order, leaves the rollups as they should be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders.models import Order, OrderLine
from dingdan.platform import bulk
from dingdan.platform.batchinsert import BatchInsert
from dingdan.platform.db import Database, padded
from dingdan.platform.events import Event, EventRow
from dingdan.platform.settings import get_settings
from dingdan.reports import facts
from dingdan.reports.models import (
    DailyFulfilment,
    DailyProduct,
    DailyRegion,
    DailySales,
    MonthlyProduct,
    MonthlyRegion,
    OrderFact,
)

ORDERS = cast(Table, Order.__table__)
LINES = cast(Table, OrderLine.__table__)
EVENTS = cast(Table, EventRow.__table__)
FACTS = cast(Table, OrderFact.__table__)
ROLLUP_TABLES: dict[str, Table] = {
    cast(Table, model.__table__).name: cast(Table, model.__table__)
    for model in (DailySales, DailyProduct, MonthlyProduct, DailyRegion, MonthlyRegion, DailyFulfilment)
}
ORDER_COLUMNS = (
    "id",
    "number",
    "created_at",
    "channel_code",
    "payment_method",
    "status",
    "ship_country",
    "ship_city",
    "ship_district",
    "subtotal",
    "discount_total",
    "shipping_fee",
    "item_count",
    "customer_phone",
)
LINE_COLUMNS = ("order_id", "sku", "product_id", "category_code", "quantity", "line_total")
ADVISORY_NAMESPACE = 7007  # pg_advisory_xact_lock(namespace, order id): one refresh per order at a time
REBUILD_BATCH = 5000

Progress = Callable[[int], None]


@lru_cache
def shop_zone(name: str | None = None) -> ZoneInfo:
    return ZoneInfo(name or get_settings().time_zone)


async def apply_changes(session: AsyncSession, changes: facts.Contributions) -> None:
    """Add each row of `changes` to its rollup table (insert or increment), in key order."""
    for name, rows in changes.items():
        if not rows:
            continue
        keys = facts.ROLLUP_KEYS[name]
        measures = _measures(name)
        values = [
            {**dict(zip(keys, key, strict=True)), **{m: delta.get(m, 0) for m in measures}}
            for key, delta in sorted(rows.items(), key=lambda item: tuple(map(str, item[0])))
        ]
        await _INCREMENTS[name].run(session, values)


def _measures(name: str) -> list[str]:
    return [c.name for c in ROLLUP_TABLES[name].columns if c.name not in facts.ROLLUP_KEYS[name]]


# INSERT … ON CONFLICT DO UPDATE adding the measures: one statement per table for all the rows
# (an executemany was one execution per row, thousands per relay batch).
_INCREMENTS = {
    name: BatchInsert(table, add_on_conflict=facts.ROLLUP_KEYS[name]) for name, table in ROLLUP_TABLES.items()
}
_INSERT_FACTS = BatchInsert(FACTS)


async def _order_inputs(
    session: AsyncSession,
    low: int,
    high: int,
    firsts: set[int] | None = None,
    only: Sequence[int] | None = None,
) -> tuple[list[RowMapping], dict[int, list[Any]], dict[str, list[Event]], set[int]]:
    """The orders with ids from `low` to `high` (and among `only` when given), their lines,
    timelines and first-order flags."""
    chosen: ColumnElement[bool] = ORDERS.c.id.between(low, high)
    if only is not None:
        chosen = and_(chosen, ORDERS.c.id.in_(padded(only)))
    found = await session.execute(
        select(*(ORDERS.c[c] for c in ORDER_COLUMNS)).where(chosen).order_by(ORDERS.c.id)
    )
    orders = list(found.mappings())
    lines: dict[int, list[Any]] = {o["id"]: [] for o in orders}
    line_rows = select(*(LINES.c[c] for c in LINE_COLUMNS)).where(
        LINES.c.order_id.between(low, high),
        *([LINES.c.order_id.in_(padded(only))] if only is not None else []),
    )
    for line in (await session.execute(line_rows)).mappings():
        lines[line["order_id"]].append(line)
    timelines: dict[str, list[Event]] = {o["number"]: [] for o in orders}
    # Only the payload keys a fact reads, extracted by the database: no JSON decoding here.
    keys = [EVENTS.c.payload[key].as_string() for key in facts.PAYLOAD_KEYS]
    stmt = (
        select(EVENTS.c.aggregate_id, EVENTS.c.topic, EVENTS.c.created_at, *keys)
        .join(ORDERS, and_(EVENTS.c.aggregate_type == "order", EVENTS.c.aggregate_id == ORDERS.c.number))
        .where(chosen)
        .order_by(EVENTS.c.id)
    )
    for number, topic, at, *values in await session.execute(stmt):
        payload = {k: v for k, v in zip(facts.PAYLOAD_KEYS, values, strict=True) if v is not None}
        timelines[number].append(Event(topic, "order", number, payload, created_at=at))
    if firsts is None:
        firsts = await _first_orders(session, [o["id"] for o in orders])
    return orders, lines, timelines, firsts


async def _every_first_order(session: AsyncSession) -> set[int]:
    """Every customer's first order (by phone), in one pass: for the rebuild."""
    rank = func.row_number().over(
        partition_by=ORDERS.c.customer_phone, order_by=(ORDERS.c.created_at, ORDERS.c.id)
    )
    ranked = select(ORDERS.c.id, rank.label("rank")).subquery()
    return set((await session.execute(select(ranked.c.id).where(ranked.c.rank == 1))).scalars())


async def _first_orders(session: AsyncSession, order_ids: Sequence[int]) -> set[int]:
    """The ids among `order_ids` that are their customer's first order (by phone)."""
    earlier = ORDERS.alias("earlier")
    has_earlier = exists().where(
        earlier.c.customer_phone == ORDERS.c.customer_phone,
        or_(
            earlier.c.created_at < ORDERS.c.created_at,
            and_(earlier.c.created_at == ORDERS.c.created_at, earlier.c.id < ORDERS.c.id),
        ),
    )
    stmt = select(ORDERS.c.id).where(ORDERS.c.id.in_(padded(order_ids)), ~has_earlier)
    return set((await session.execute(stmt)).scalars())


def _facts_of(inputs: tuple[Any, ...]) -> list[dict[str, Any]]:
    orders, lines, timelines, firsts = inputs
    zone = shop_zone()
    return [
        facts.build_fact(o, lines[o["id"]], timelines[o["number"]], first_order=o["id"] in firsts, zone=zone)
        for o in orders
    ]


async def refresh_order(session: AsyncSession, *, number: str) -> None:
    """Bring the rollups up to date with one order as it is now."""
    await refresh_orders(session, numbers=[number])


async def refresh_orders(session: AsyncSession, *, numbers: Sequence[str]) -> None:
    """Bring the rollups up to date with these orders as they are now: one set of statements
    for all of them, the rollup rows changed once by the summed difference."""
    ids = sorted(
        set(
            (await session.execute(select(ORDERS.c.id).where(ORDERS.c.number.in_(padded(numbers))))).scalars()
        )
    )
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_ADVISORY_LOCKS, {"ns": ADVISORY_NAMESPACE, "keys": [i % 2**31 for i in ids]})
    stored_rows = await session.execute(select(FACTS).where(FACTS.c.order_id.in_(padded(ids))))
    stored = {row["order_id"]: row for row in stored_rows.mappings()}
    total: facts.Contributions = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for new in _facts_of(await _order_inputs(session, ids[0], ids[-1], only=ids)):
        old = stored.get(new["order_id"])
        changes = facts.difference(facts.contributions(old), facts.contributions(new))
        if old is not None and not any(changes.values()) and _same_fact(old, new):
            continue
        facts.add_into(total, changes)
        (inserts if old is None else updates).append(new)
    await apply_changes(session, total)
    await _INSERT_FACTS.run(session, inserts)
    if updates:
        await session.execute(_UPDATE_FACT, [{**new, "fact_order_id": new["order_id"]} for new in updates])


# Taken in key order (the subquery sorts), so two refreshes never wait on each other in a cycle.
_ADVISORY_LOCKS = text(
    "SELECT count(pg_advisory_xact_lock(:ns, k)) "
    "FROM (SELECT DISTINCT k FROM unnest(CAST(:keys AS int[])) AS k ORDER BY k) AS sorted"
)
_UPDATE_FACT = update(FACTS).where(FACTS.c.order_id == bindparam("fact_order_id"))


def _same_fact(stored: Mapping[Any, Any], new: Mapping[Any, Any]) -> bool:
    return all(stored[name] == value for name, value in new.items())


async def on_order_events(session: AsyncSession, batch: list[Event]) -> None:
    """Subscriber for every event: events on orders (or naming one in their payload, as a
    parcel's may) refresh those orders' contributions; other events are ignored."""
    numbers = []
    for event in batch:
        number = event.aggregate_id if event.aggregate_type == "order" else event.payload.get("order_number")
        if isinstance(number, str) and number:
            numbers.append(number)
    if numbers:
        await refresh_orders(session, numbers=numbers)


async def rebuild(db: Database, *, progress: Progress | None = None) -> int:
    """Recompute every fact and rollup from the orders, in one transaction; returns the count."""
    return await db.write(_rebuild, progress=progress)


async def _rebuild(session: AsyncSession, *, progress: Progress | None) -> int:
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join([FACTS.name, *ROLLUP_TABLES])
        await session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
    for table in [FACTS, *ROLLUP_TABLES.values()]:
        await session.execute(delete(table))
    firsts = await _every_first_order(session)
    total: facts.Contributions = {}
    done, after_id = 0, 0
    while ids := await _next_ids(session, after_id):
        batch = _facts_of(await _order_inputs(session, ids[0], ids[-1], firsts))
        for fact in batch:
            facts.add_into(total, facts.contributions(fact))
        await bulk.copy_rows(session, FACTS, batch)
        done, after_id = done + len(ids), ids[-1]
        if progress:
            progress(done)
    await _insert_totals(session, total)
    await bulk.analyze(session, [FACTS, *ROLLUP_TABLES.values()])
    return done


async def _next_ids(session: AsyncSession, after_id: int) -> list[int]:
    stmt = select(ORDERS.c.id).where(ORDERS.c.id > after_id).order_by(ORDERS.c.id).limit(REBUILD_BATCH)
    return list((await session.execute(stmt)).scalars())


async def _insert_totals(session: AsyncSession, total: facts.Contributions) -> None:
    for name, rows in total.items():
        if not rows:
            continue
        table, keys = ROLLUP_TABLES[name], facts.ROLLUP_KEYS[name]
        values = [{**dict(zip(keys, key, strict=True)), **measures} for key, measures in rows.items()]
        await bulk.copy_rows(session, table, values)
