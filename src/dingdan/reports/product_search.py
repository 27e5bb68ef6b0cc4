"""Finding products while typing an order: by name, SKU or barcode, with available stock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.models import Product, Variant
from dingdan.inventory.models import StockLevel


@dataclass(frozen=True)
class Found:
    sku: str
    name: str
    attributes: dict[str, Any]
    price: Decimal
    available: int


async def search_sellable(session: AsyncSession, *, text: str, limit: int = 10) -> list[Found]:
    text = text.strip()
    if not text:
        return []
    available = (
        select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0))
        .where(StockLevel.sku == Variant.sku)
        .scalar_subquery()
    )
    pattern = f"%{text}%"
    stmt = (
        select(Variant.sku, Product.name, Variant.attributes, Variant.price, available)
        .join(Product, Product.id == Variant.product_id)
        .where(
            Variant.active.is_(True),
            Product.active.is_(True),
            or_(Variant.sku.ilike(pattern), Variant.barcode == text, Product.name.ilike(pattern)),
        )
        .order_by(Variant.sku == text.upper(), Variant.sku)
        .limit(limit)
    )
    return [Found(r[0], r[1], r[2] or {}, r[3], int(r[4])) for r in await session.execute(stmt)]
