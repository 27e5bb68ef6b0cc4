"""Creating a product also opens its stock records."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog import service as catalog
from dingdan.catalog.models import Product
from dingdan.catalog.schemas import ProductIn
from dingdan.inventory import service as inventory


async def create_product(session: AsyncSession, *, data: ProductIn) -> Product:
    product = await catalog.create_product(session, data=data)
    await inventory.ensure_items(session, thresholds={v.sku: v.low_stock_threshold for v in data.variants})
    return product
