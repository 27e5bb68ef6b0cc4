"""Stock entry points. Reservation is a locked read in fixed (sku, warehouse) order followed
by one guarded UPDATE; the CHECK constraints back it up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import rules, sql
from dingdan.inventory.errors import (
    InsufficientStock,
    NotReserved,
    OutOfStock,
    SkuNotStocked,
    WarehouseNotFound,
)
from dingdan.inventory.models import InventoryItem, Movement, StockLevel, Warehouse
from dingdan.platform import clock, events
from dingdan.platform.batchinsert import BatchInsert
from dingdan.platform.db import padded
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE

DEFAULT_WAREHOUSE = "main"
STOCK_LEVELS = cast(Table, StockLevel.__table__)
ITEMS = cast(Table, InventoryItem.__table__)


@dataclass(frozen=True)
class ReservationResult:
    allocations: list[rules.Allocation]
    shortages: dict[str, int]


@dataclass(frozen=True)
class SkuLevels:
    sku: str
    low_stock_threshold: int
    levels: list[tuple[Warehouse, StockLevel]]

    @property
    def on_hand(self) -> int:
        return sum(level.on_hand for _, level in self.levels)

    @property
    def reserved(self) -> int:
        return sum(level.reserved for _, level in self.levels)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def _upsert_ignore(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def ensure_default_warehouse(session: AsyncSession) -> Warehouse:
    found = await session.scalar(select(Warehouse).where(Warehouse.code == DEFAULT_WAREHOUSE))
    if found:
        return found
    return await create_warehouse(session, code=DEFAULT_WAREHOUSE, name="主倉", priority=10)


async def create_warehouse(session: AsyncSession, *, code: str, name: str, priority: int) -> Warehouse:
    warehouse = Warehouse(code=code, name=name, priority=priority, active=True)
    session.add(warehouse)
    await session.flush()
    return warehouse


async def list_warehouses(session: AsyncSession) -> Sequence[Warehouse]:
    stmt = select(Warehouse).order_by(Warehouse.priority, Warehouse.id)
    return (await session.execute(stmt)).scalars().all()


async def get_warehouse(session: AsyncSession, *, code: str | None) -> Warehouse:
    if code is None:
        return await ensure_default_warehouse(session)
    found = await session.scalar(select(Warehouse).where(Warehouse.code == code))
    if found is None:
        raise WarehouseNotFound("no warehouse {code!r}", params={"code": code}, field="warehouse")
    return found


async def ensure_items(session: AsyncSession, *, thresholds: Mapping[str, int]) -> None:
    """Create the stock records of new SKUs (zero stock in the default warehouse)."""
    if not thresholds:
        return
    warehouse = await ensure_default_warehouse(session)
    ins = _upsert_ignore(session)
    await session.execute(
        ins(InventoryItem)
        .values([{"sku": s, "low_stock_threshold": t} for s, t in thresholds.items()])
        .on_conflict_do_nothing()
    )
    await session.execute(
        ins(StockLevel)
        .values([{"sku": s, "warehouse_id": warehouse.id, "on_hand": 0, "reserved": 0} for s in thresholds])
        .on_conflict_do_nothing()
    )


_LOCK_LEVELS = (
    select(
        StockLevel.sku,
        StockLevel.warehouse_id,
        Warehouse.priority,
        StockLevel.on_hand,
        StockLevel.reserved,
        InventoryItem.low_stock_threshold,
    )
    .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
    .join(InventoryItem, InventoryItem.sku == StockLevel.sku)
    .where(StockLevel.sku.in_(bindparam("skus", expanding=True)), Warehouse.active.is_(True))
    .order_by(StockLevel.sku, StockLevel.warehouse_id)
    .with_for_update(of=StockLevel)
)
_INSERT_MOVEMENTS = BatchInsert(cast(Table, Movement.__table__))


async def _lock_levels(
    session: AsyncSession, skus: Iterable[str]
) -> tuple[list[rules.Level], dict[str, int]]:
    """Lock the stock rows of these SKUs in (sku, warehouse) order and read them."""
    levels, thresholds = [], {}
    rows = await session.execute(_LOCK_LEVELS, {"skus": padded(skus)})
    for sku, wid, priority, on_hand, reserved, threshold in rows:
        levels.append(rules.Level(sku, wid, priority, on_hand, reserved))
        thresholds[sku] = threshold
    return levels, thresholds


@dataclass(frozen=True)
class StockRequest:
    """One order's demand (quantity per SKU) in a group of reservations."""

    order_ref: str
    demand: Mapping[str, int]
    actor: str
    allow_shortage: bool


async def reserve(
    session: AsyncSession,
    *,
    demand: Mapping[str, int],
    order_ref: str,
    actor: str,
    allow_shortage: bool,
) -> ReservationResult:
    """Reserve `demand` (quantity per SKU) for an order.

    With `allow_shortage=False` a shortage raises OutOfStock and nothing is reserved; with
    True whatever can be reserved is, and the rest is reported as the shortage (backorder).
    """
    [result] = await reserve_many(session, [StockRequest(order_ref, demand, actor, allow_shortage)])
    if isinstance(result, OutOfStock):
        raise result
    return result


async def reserve_many(
    session: AsyncSession, requests: Sequence[StockRequest]
) -> list[ReservationResult | OutOfStock]:
    """Reserve for several orders at once, in their order, with the same three statements as
    for one: lock every row involved, one guarded UPDATE of the summed deltas, one ledger
    INSERT. An order whose shortage may not wait gets OutOfStock and holds nothing."""
    levels, thresholds = await _lock_levels(session, {sku for r in requests for sku in r.demand})
    plans = rules.allocate_in_turn([(r.demand, r.allow_shortage) for r in requests], levels)
    results: list[ReservationResult | OutOfStock] = []
    taken: list[tuple[StockRequest, rules.Allocation]] = []
    for request, plan in zip(requests, plans, strict=True):
        if plan.shortages and not request.allow_shortage:
            sku = sorted(plan.shortages)[0]
            results.append(
                OutOfStock(
                    "not enough stock for {sku}", params={"sku": sku}, field="lines", shortages=plan.shortages
                )
            )
            continue
        taken += [(request, a) for a in plan.allocations]
        results.append(ReservationResult(plan.allocations, plan.shortages))
    if taken:
        summed = rules.net_by_warehouse((a.sku, a.warehouse_id, a.quantity) for _, a in taken)
        await apply_deltas(session, [(sku, wid, 0, qty) for (sku, wid), qty in sorted(summed.items())])
        await _insert_movements(
            session, [_movement(a, "reserve", r.order_ref, r.actor, sign=+1) for r, a in taken]
        )
        _record_low_stock(session, levels, [a for _, a in taken], thresholds)
    return results


async def apply_deltas(session: AsyncSession, deltas: Sequence[tuple[str, int, int, int]]) -> None:
    """Apply (sku, warehouse_id, Δon_hand, Δreserved) rows in one guarded statement, or none.

    Callers lock the rows first (`_lock_levels`) so that the guard only ever fails for a bug,
    never for a race; the CHECK constraints stand behind it."""
    rows = [{"sku": s, "warehouse_id": w, "d_on_hand": on, "d_reserved": res} for s, w, on, res in deltas]
    plan = orjson.dumps(rows).decode()
    statement = sql.APPLY_DELTAS[session.get_bind().dialect.name]
    result = await session.execute(statement, {"plan": plan})
    if result.rowcount != len(deltas):  # type: ignore[attr-defined]
        raise OutOfStock("stock changed while it was being updated; nothing was changed", field="lines")


async def _write_movements(
    session: AsyncSession,
    allocations: Sequence[rules.Allocation],
    kind: str,
    order_ref: str | None,
    actor: str,
    *,
    sign: int,
    on_hand_sign: int = 0,
    reason: str = "",
) -> None:
    rows = [
        _movement(a, kind, order_ref, actor, sign=sign, on_hand_sign=on_hand_sign, reason=reason)
        for a in allocations
    ]
    await _insert_movements(session, rows)


def _movement(
    allocation: rules.Allocation,
    kind: str,
    order_ref: str | None,
    actor: str,
    *,
    sign: int,
    on_hand_sign: int = 0,
    reason: str = "",
) -> dict[str, Any]:
    return {
        "sku": allocation.sku,
        "warehouse_id": allocation.warehouse_id,
        "kind": kind,
        "delta_on_hand": allocation.quantity * on_hand_sign,
        "delta_reserved": allocation.quantity * sign,
        "reason": reason,
        "order_ref": order_ref,
        "actor": actor,
    }


async def _insert_movements(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    at = clock.now()
    await _INSERT_MOVEMENTS.run(session, [{**row, "created_at": at} for row in rows])


def _record_low_stock(
    session: AsyncSession,
    levels: Sequence[rules.Level],
    allocations: Sequence[rules.Allocation],
    thresholds: Mapping[str, int],
) -> None:
    before: dict[str, int] = {}
    for level in levels:
        before[level.sku] = before.get(level.sku, 0) + level.available
    taken = rules.total_demand((a.sku, a.quantity) for a in allocations)
    for sku, quantity in taken.items():
        after = before[sku] - quantity
        if rules.crossed_low_stock(before[sku], after, thresholds[sku]):
            events.record(
                session,
                events.Event(
                    "inventory.low_stock",
                    "sku",
                    sku,
                    {"available": after, "threshold": thresholds[sku]},
                ),
            )


async def reserved_for_order(session: AsyncSession, *, order_ref: str) -> list[rules.Allocation]:
    """What an order holds now, per SKU and warehouse, from the ledger."""
    stmt = (
        select(Movement.sku, Movement.warehouse_id, func.sum(Movement.delta_reserved))
        .where(Movement.order_ref == order_ref)
        .group_by(Movement.sku, Movement.warehouse_id)
    )
    net = rules.net_by_warehouse((r[0], r[1], int(r[2])) for r in await session.execute(stmt))
    return [rules.Allocation(sku, wid, qty) for (sku, wid), qty in sorted(net.items()) if qty > 0]


async def release(
    session: AsyncSession, *, order_ref: str, actor: str, reason: str
) -> list[rules.Allocation]:
    """Give back everything an order holds (cancellation, expiry). Idempotent."""
    held = await reserved_for_order(session, order_ref=order_ref)
    if not held:
        return []
    await _lock_levels(session, {a.sku for a in held})
    await apply_deltas(session, [(a.sku, a.warehouse_id, 0, -a.quantity) for a in held])
    await _write_movements(session, held, "release", order_ref, actor, sign=-1, reason=reason)
    return held


async def ship_reserved(
    session: AsyncSession,
    *,
    order_ref: str,
    quantities: Mapping[str, int],
    actor: str,
    warehouse_code: str | None = None,
) -> list[rules.Allocation]:
    """Turn an order's reservations into stock leaving the warehouse: on hand and reserved
    both drop by the shipped quantities (apply_deltas), one "ship" row per SKU and
    warehouse. Takes from `warehouse_code` only when given, else from whichever holds it."""
    held = await reserved_for_order(session, order_ref=order_ref)
    warehouse_id = (await get_warehouse(session, code=warehouse_code)).id if warehouse_code else None
    taken = _take_from_held(held, quantities, warehouse_id)
    await _lock_levels(session, {a.sku for a in taken})
    await apply_deltas(session, [(a.sku, a.warehouse_id, -a.quantity, -a.quantity) for a in taken])
    await _write_movements(session, taken, "ship", order_ref, actor, sign=-1, on_hand_sign=-1)
    return taken


async def unship(
    session: AsyncSession, *, order_ref: str, allocations: Sequence[rules.Allocation], actor: str, reason: str
) -> None:
    """Put back what `ship_reserved` took (a parcel cancelled before the carrier collected
    it): the units return to stock, reserved again for the order."""
    if not allocations:
        return
    await _lock_levels(session, {a.sku for a in allocations})
    await apply_deltas(session, [(a.sku, a.warehouse_id, a.quantity, a.quantity) for a in allocations])
    await _write_movements(
        session, allocations, "unship", order_ref, actor, sign=+1, on_hand_sign=+1, reason=reason
    )


def _take_from_held(
    held: Sequence[rules.Allocation], quantities: Mapping[str, int], warehouse_id: int | None
) -> list[rules.Allocation]:
    taken: list[rules.Allocation] = []
    for sku, wanted in sorted(quantities.items()):
        left = wanted
        for hold in held:
            if hold.sku != sku or left == 0 or warehouse_id not in (None, hold.warehouse_id):
                continue
            quantity = min(left, hold.quantity)
            taken.append(rules.Allocation(sku, hold.warehouse_id, quantity))
            left -= quantity
        if left:
            raise NotReserved(
                "the order holds {held} of {sku} here, not {wanted}",
                params={"held": wanted - left, "sku": sku, "wanted": wanted},
                field="lines",
                sku=sku,
            )
    return taken


async def adjust(
    session: AsyncSession,
    *,
    sku: str,
    delta: int,
    reason: str,
    actor: str,
    warehouse_code: str | None = None,
) -> SkuLevels:
    """Receive (delta > 0) or write off (delta < 0) stock, never below what is reserved."""
    warehouse = await get_warehouse(session, code=warehouse_code)
    if await session.get(InventoryItem, sku) is None:
        raise SkuNotStocked("no stock record for SKU {sku!r}", params={"sku": sku}, field="sku")
    before = await get_levels(session, sku=sku)
    await _ensure_level_row(session, sku, warehouse.id)
    try:
        await apply_deltas(session, [(sku, warehouse.id, delta, 0)])
    except OutOfStock as refused:
        raise InsufficientStock(
            "this would leave less stock on hand than is reserved for orders", field="delta"
        ) from refused
    await _write_movements(
        session,
        [rules.Allocation(sku, warehouse.id, abs(delta))],
        "adjust",
        None,
        actor,
        sign=0,
        on_hand_sign=1 if delta > 0 else -1,
        reason=reason,
    )
    after_available = before.available + delta
    events.record(
        session,
        events.Event(
            "inventory.adjusted",
            "sku",
            sku,
            {"delta": delta, "reason": reason, "warehouse": warehouse.code, "available": after_available},
            actor=actor,
        ),
    )
    if rules.crossed_low_stock(before.available, after_available, before.low_stock_threshold):
        events.record(
            session,
            events.Event(
                "inventory.low_stock",
                "sku",
                sku,
                {"available": after_available, "threshold": before.low_stock_threshold},
            ),
        )
    session.expire_all()
    return await get_levels(session, sku=sku)


async def _ensure_level_row(session: AsyncSession, sku: str, warehouse_id: int) -> None:
    ins = _upsert_ignore(session)
    await session.execute(
        ins(StockLevel)
        .values(sku=sku, warehouse_id=warehouse_id, on_hand=0, reserved=0)
        .on_conflict_do_nothing()
    )


async def get_levels(session: AsyncSession, *, sku: str) -> SkuLevels:
    item = await session.get(InventoryItem, sku)
    if item is None:
        raise SkuNotStocked("no stock record for SKU {sku!r}", params={"sku": sku}, field="sku")
    rows = await session.execute(
        select(Warehouse, StockLevel)
        .join(StockLevel, StockLevel.warehouse_id == Warehouse.id)
        .where(StockLevel.sku == sku)
        .order_by(Warehouse.priority, Warehouse.id)
    )
    return SkuLevels(sku, item.low_stock_threshold, [(w, s) for w, s in rows])


async def set_threshold(session: AsyncSession, *, sku: str, threshold: int) -> None:
    result = await session.execute(
        update(ITEMS).where(InventoryItem.sku == sku).values(low_stock_threshold=threshold)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise SkuNotStocked("no stock record for SKU {sku!r}", params={"sku": sku}, field="sku")


async def list_movements(
    session: AsyncSession, *, sku: str, after_id: int | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> Sequence[Movement]:
    stmt = select(Movement).where(Movement.sku == sku).order_by(Movement.id.desc()).limit(limit)
    if after_id is not None:
        stmt = stmt.where(Movement.id < after_id)
    return (await session.execute(stmt)).scalars().all()


async def list_low_stock(session: AsyncSession, *, limit: int = 100) -> list[tuple[str, int, int]]:
    """(sku, available, threshold) for every SKU at or below its threshold."""
    available = func.sum(StockLevel.on_hand - StockLevel.reserved)
    stmt = (
        select(InventoryItem.sku, available, InventoryItem.low_stock_threshold)
        .join(StockLevel, StockLevel.sku == InventoryItem.sku)
        .group_by(InventoryItem.sku, InventoryItem.low_stock_threshold)
        .having(available <= InventoryItem.low_stock_threshold)
        .order_by(available, InventoryItem.sku)
        .limit(limit)
    )
    return [(r[0], int(r[1]), r[2]) for r in await session.execute(stmt)]


async def ledger_drift(session: AsyncSession) -> list[tuple[str, int, int, int, int, int]]:
    """(sku, warehouse, on_hand, ledger on_hand, reserved, ledger reserved) where they differ."""
    ledger = (
        select(
            Movement.sku,
            Movement.warehouse_id,
            func.sum(Movement.delta_on_hand).label("on_hand"),
            func.sum(Movement.delta_reserved).label("reserved"),
        )
        .group_by(Movement.sku, Movement.warehouse_id)
        .subquery()
    )
    stmt = select(
        StockLevel.sku,
        StockLevel.warehouse_id,
        StockLevel.on_hand,
        func.coalesce(ledger.c.on_hand, 0),
        StockLevel.reserved,
        func.coalesce(ledger.c.reserved, 0),
    ).outerjoin(
        ledger, and_(ledger.c.sku == StockLevel.sku, ledger.c.warehouse_id == StockLevel.warehouse_id)
    )
    return [
        (r[0], r[1], r[2], int(r[3]), r[4], int(r[5]))
        for r in await session.execute(stmt)
        if r[2] != int(r[3]) or r[4] != int(r[5])
    ]
