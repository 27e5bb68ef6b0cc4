"""The console's inventory page: levels per SKU and warehouse, and a SKU's stock over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.models import Product, Variant
from dingdan.inventory.models import InventoryItem, Movement, StockLevel, Warehouse
from dingdan.platform import clock

SHOP_TZ = ZoneInfo("Asia/Taipei")


@dataclass
class SkuRow:
    sku: str
    name: str
    threshold: int
    per_warehouse: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (on hand, reserved)

    @property
    def on_hand(self) -> int:
        return sum(v[0] for v in self.per_warehouse.values())

    @property
    def reserved(self) -> int:
        return sum(v[1] for v in self.per_warehouse.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def low(self) -> bool:
        return self.available <= self.threshold


@dataclass(frozen=True)
class DayPoint:
    day: date
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


async def list_sku_rows(
    session: AsyncSession, *, text: str = "", low_only: bool = False, after_sku: str = "", limit: int = 50
) -> list[SkuRow]:
    """SKUs in SKU order from `after_sku` on, each with its levels per warehouse."""
    items = (
        select(InventoryItem.sku, InventoryItem.low_stock_threshold, Product.name)
        .outerjoin(Variant, Variant.sku == InventoryItem.sku)
        .outerjoin(Product, Product.id == Variant.product_id)
        .order_by(InventoryItem.sku)
        .limit(limit)
    )
    if after_sku:
        items = items.where(InventoryItem.sku > after_sku)
    if text:
        items = items.where(or_(InventoryItem.sku.ilike(f"%{text}%"), Product.name.ilike(f"%{text}%")))
    if low_only:
        available = (
            select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0))
            .where(StockLevel.sku == InventoryItem.sku)
            .scalar_subquery()
        )
        items = items.where(available <= InventoryItem.low_stock_threshold)
    rows = {sku: SkuRow(sku, name or "", threshold) for sku, threshold, name in await session.execute(items)}
    levels = (
        select(StockLevel.sku, Warehouse.code, StockLevel.on_hand, StockLevel.reserved)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku.in_(list(rows)))
    )
    for sku, code, on_hand, reserved in await session.execute(levels):
        rows[sku].per_warehouse[code] = (on_hand, reserved)
    return list(rows.values())


async def stock_history(session: AsyncSession, *, sku: str, days: int = 30) -> list[DayPoint]:
    """End-of-day on hand and reserved for the last `days` days, from the movements ledger."""
    today = clock.now().astimezone(SHOP_TZ).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=SHOP_TZ)
    before = (
        await session.execute(
            select(
                func.coalesce(func.sum(Movement.delta_on_hand), 0),
                func.coalesce(func.sum(Movement.delta_reserved), 0),
            ).where(Movement.sku == sku, Movement.created_at < start)
        )
    ).one()
    on_hand, reserved = int(before[0]), int(before[1])
    moves = await session.execute(
        select(Movement.created_at, Movement.delta_on_hand, Movement.delta_reserved)
        .where(Movement.sku == sku, Movement.created_at >= start)
        .order_by(Movement.id)
    )
    closing: dict[date, tuple[int, int]] = {}
    for at, d_on_hand, d_reserved in moves:
        on_hand, reserved = on_hand + d_on_hand, reserved + d_reserved
        closing[at.astimezone(SHOP_TZ).date()] = (on_hand, reserved)
    points, last = [], (int(before[0]), int(before[1]))
    for offset in range(days):
        day = first + timedelta(days=offset)
        last = closing.get(day, last)
        points.append(DayPoint(day, *last))
    return points
