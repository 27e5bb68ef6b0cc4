"""Small factories for tests: products with stock, and valid order bodies."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from dingdan.catalog.schemas import ProductIn
from dingdan.inventory import service as inventory
from dingdan.inventory.models import Movement
from dingdan.orders.models import Order, OrderLine
from dingdan.orders.states import OPEN_STATUSES
from dingdan.platform.db import Database
from dingdan.workflows.manage_catalog import create_product

_counter = itertools.count(1)


async def make_sku(
    db: Database,
    *,
    stock: int = 10,
    price: str = "500",
    sku: str | None = None,
    threshold: int = 0,
    attributes: dict[str, str] | None = None,
    name: str | None = None,
) -> str:
    sku = sku or f"SKU-{next(_counter):05d}"

    async def create(session: Any) -> None:
        await create_product(
            session,
            data=ProductIn.model_validate(
                {
                    "name": name or f"商品 {sku}",
                    "category": "test",
                    "variants": [
                        {
                            "sku": sku,
                            "price": price,
                            "attributes": attributes or {"顏色": "黑"},
                            "low_stock_threshold": threshold,
                        }
                    ],
                }
            ),
        )
        if stock:
            await inventory.adjust(session, sku=sku, delta=stock, reason="期初", actor="test")

    await db.write(create)
    return sku


def order_body(
    *lines: tuple[str, int], channel: str = "web", payment: str = "cod", **extra: Any
) -> dict[str, Any]:
    return {
        "channel": channel,
        "customer": {"name": "王小明", "phone": "0912345678", "email": "ming@example.com"},
        "shipping_address": {
            "recipient": "王小明",
            "phone": "0912-345-678",
            "country": "TW",
            "city": "臺北市",
            "district": "大安區",
            "postal_code": "106",
            "line1": "復興南路一段 100 號",
        },
        "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        "payment_method": payment,
        **extra,
    }


async def stock_of(db: Database, sku: str) -> tuple[int, int, int]:
    async with db.read() as session:
        levels = await inventory.get_levels(session, sku=sku)
    return levels.on_hand, levels.reserved, levels.available


async def holders_of(db: Database, sku: str) -> tuple[int, int]:
    """(sum of the SKU's reservation ledger, open orders holding the SKU)."""
    async with db.read() as session:
        ledger = await session.scalar(select(func.sum(Movement.delta_reserved)).where(Movement.sku == sku))
        holds = (
            select(Movement.order_ref)
            .where(Movement.sku == sku)
            .group_by(Movement.order_ref)
            .having(func.sum(Movement.delta_reserved) > 0)
        )
        holding = await session.scalar(
            select(func.count(func.distinct(Order.id)))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(OrderLine.sku == sku, Order.status.in_(list(OPEN_STATUSES)), Order.number.in_(holds))
        )
    return int(ledger or 0), int(holding or 0)


MONEY = Decimal
