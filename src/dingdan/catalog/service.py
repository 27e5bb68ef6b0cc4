"""Catalog entry points. Keyword-only, take the session, flush but never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.errors import DuplicateSku, ProductNotFound
from dingdan.catalog.models import Category, Product, Variant
from dingdan.catalog.schemas import CategoryIn, ProductIn, ProductPatch
from dingdan.platform import clock
from dingdan.platform.db import padded
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class SellableVariant:
    """What an order line snapshots from the catalog at the moment of sale."""

    sku: str
    product_id: int
    product_name: str
    category_code: str | None
    price: Decimal
    attributes: dict[str, Any]
    active: bool


async def create_category(session: AsyncSession, *, data: CategoryIn) -> Category:
    category = Category(code=data.code, name=data.name)
    session.add(category)
    await session.flush()
    return category


async def list_categories(session: AsyncSession) -> Sequence[Category]:
    return (await session.execute(select(Category).order_by(Category.code))).scalars().all()


async def _category_id(session: AsyncSession, code: str | None) -> int | None:
    if code is None:
        return None
    found = await session.scalar(select(Category.id).where(Category.code == code))
    if found is not None:
        return found
    category = Category(code=code, name=code)
    session.add(category)
    await session.flush()
    return category.id


async def create_product(session: AsyncSession, *, data: ProductIn) -> Product:
    skus = [v.sku for v in data.variants]
    if len(set(skus)) != len(skus):
        raise DuplicateSku("a SKU appears twice in this product", field="variants")
    taken = (await session.execute(select(Variant.sku).where(Variant.sku.in_(skus)))).scalars().all()
    if taken:
        raise DuplicateSku(
            "SKU already exists: {skus}", params={"skus": ", ".join(sorted(taken))}, field="variants"
        )
    at = clock.now()
    product = Product(
        name=data.name,
        description=data.description,
        active=data.active,
        image_url=data.image_url,
        category_id=await _category_id(session, data.category),
        created_at=at,
        updated_at=at,
    )
    product.variants = [
        Variant(
            sku=v.sku,
            price=v.price,
            attributes=v.attributes,
            barcode=v.barcode,
            weight_grams=v.weight_grams,
            active=v.active,
        )
        for v in data.variants
    ]
    session.add(product)
    await session.flush()
    return product


async def get_product(session: AsyncSession, *, product_id: int) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(
            "no product with id {product_id}", params={"product_id": product_id}, field="id"
        )
    return product


async def update_product(session: AsyncSession, *, product_id: int, data: ProductPatch) -> Product:
    product = await get_product(session, product_id=product_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(product, name, value)
    product.updated_at = clock.now()
    await session.flush()
    return product


async def list_products(
    session: AsyncSession,
    *,
    q: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    after_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Sequence[Product]:
    stmt = select(Product).order_by(Product.id.desc()).limit(limit)
    if after_id is not None:
        stmt = stmt.where(Product.id < after_id)
    if active is not None:
        stmt = stmt.where(Product.active.is_(active))
    if category:
        stmt = stmt.join(Category).where(Category.code == category)
    if q:
        pattern = f"%{q}%"
        matching = select(Variant.product_id).where(or_(Variant.sku.ilike(pattern), Variant.barcode == q))
        stmt = stmt.where(or_(Product.name.ilike(pattern), Product.id.in_(matching)))
    return (await session.execute(stmt)).scalars().all()


_FIND_SELLABLE = (
    select(
        Variant.sku,
        Variant.product_id,
        Product.name,
        Category.code,
        Variant.price,
        Variant.attributes,
        Variant.active,
        Product.active,
    )
    .join(Product, Product.id == Variant.product_id)
    .outerjoin(Category, Category.id == Product.category_id)
    .where(Variant.sku.in_(bindparam("skus", expanding=True)))
)


async def find_sellable(session: AsyncSession, *, skus: Iterable[str]) -> dict[str, SellableVariant]:
    """The catalog facts for the given SKUs, in one query; unknown SKUs are absent."""
    stmt = _FIND_SELLABLE
    return {
        row[0]: SellableVariant(
            sku=row[0],
            product_id=row[1],
            product_name=row[2],
            category_code=row[3],
            price=row[4],
            attributes=row[5] or {},
            active=bool(row[6] and row[7]),
        )
        for row in await session.execute(stmt, {"skus": padded(skus)})
    }
