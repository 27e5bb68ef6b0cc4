"""Product trends: best sellers per variant, product or category; slow movers (stock on hand,
nothing sold in N days); sell-through and days of stock left; units and sales over time.

sell_through = units sold in the range / (units sold + units on hand now);
days_of_stock = available units / (units sold in the range / days in the range).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.models import Category, Product, Variant
from dingdan.inventory.models import StockLevel
from dingdan.platform.money import ZERO
from dingdan.reports.exports import Sheet
from dingdan.reports.facts import CANCELLED
from dingdan.reports.models import DailyProduct, DailySales, MonthlyProduct
from dingdan.reports.periods import Granularity, Period, bucket_of, buckets, rollup_reads

# The product rollups' measures: orders counted per SKU, per product and per category.
SUMMED = ("orders", "product_orders", "category_orders", "units", "sales")
SLOW_MOVERS_LIMIT = 50


class ProductGroup(StrEnum):
    VARIANT = "variant"
    PRODUCT = "product"
    CATEGORY = "category"


class ProductSort(StrEnum):
    UNITS = "units"
    SALES = "sales"


def _sold_by_sku(period: Period, category: str | None) -> Subquery:
    """Orders, units and sales per SKU in the period, summed in the database from the monthly
    and daily rows `rollup_reads` names."""
    reads = rollup_reads(period)
    months = MonthlyProduct.month.in_(reads.months)
    parts = [_signed_rows(MonthlyProduct, months, 1, category)] if reads.months else []
    parts += [
        _signed_rows(DailyProduct, DailyProduct.day.between(run.start, run.end), sign, category)
        for run, sign in reads.days
    ]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("rows")
    sums = [func.sum(rows.c[m]).label(m) for m in SUMMED]
    return (
        select(rows.c.sku, rows.c.product_id, rows.c.category, *sums)
        .group_by(rows.c.sku, rows.c.product_id, rows.c.category)
        .having(or_(*(s != 0 for s in sums)))  # all zero: every order of it was cancelled
        .subquery("sold")
    )


def _signed_rows(model: Any, in_range: ColumnElement[bool], sign: int, category: str | None) -> Select[Any]:
    measures = (getattr(model, m) for m in SUMMED)
    stmt = select(
        model.sku, model.product_id, model.category, *(m if sign > 0 else (-m).label(m.key) for m in measures)
    ).where(in_range)
    return stmt.where(model.category == category) if category is not None else stmt


def _stock_by_sku() -> Subquery:
    return (
        select(
            StockLevel.sku,
            func.sum(StockLevel.on_hand).label("on_hand"),
            func.sum(StockLevel.on_hand - StockLevel.reserved).label("available"),
        )
        .group_by(StockLevel.sku)
        .subquery("stock")
    )


async def _names(session: AsyncSession, skus: set[str]) -> dict[str, dict[str, Any]]:
    if not skus:
        return {}
    stmt = (
        select(
            Variant.sku, Variant.product_id, Variant.attributes, Product.name, Category.name.label("category")
        )
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Variant.sku.in_(sorted(skus)))
    )
    return {row["sku"]: dict(row) for row in (await session.execute(stmt)).mappings()}


def _rates(units: int, on_hand: int, available: int, days: int) -> dict[str, Any]:
    sold_or_held = units + on_hand
    return {
        "sell_through": round(units / sold_or_held, 4) if sold_or_held else None,
        "days_of_stock": round(available / (units / days), 1) if units else None,
    }


def _label(group: ProductGroup, key: Any, sample_sku: str, names: Mapping[Any, Any]) -> dict[str, Any]:
    facts = names.get(sample_sku, {})
    if group is ProductGroup.VARIANT:
        return {
            "sku": key,
            "product_id": facts.get("product_id"),
            "name": facts.get("name", key),
            "attributes": facts.get("attributes", {}),
        }
    if group is ProductGroup.PRODUCT:
        return {"product_id": key, "name": facts.get("name", str(key))}
    return {"category": key, "name": facts.get("category") or key or "-"}


async def best_sellers(
    session: AsyncSession,
    *,
    period: Period,
    group: ProductGroup,
    sort: ProductSort,
    limit: int,
    category: str | None,
) -> list[dict[str, Any]]:
    """The top `limit` groups, ranked and cut in the database: only they come back."""
    sold, stock = _sold_by_sku(period, category), _stock_by_sku()
    key, orders = {
        ProductGroup.VARIANT: (sold.c.sku, sold.c.orders),
        ProductGroup.PRODUCT: (sold.c.product_id, sold.c.product_orders),
        ProductGroup.CATEGORY: (sold.c.category, sold.c.category_orders),
    }[group]
    sums = {
        "orders": func.sum(orders).label("orders"),
        "units": func.sum(sold.c.units).label("units"),
        "sales": func.sum(sold.c.sales).label("sales"),
    }
    stmt = (
        select(
            key.label("key"),
            func.min(sold.c.sku).label("sku"),
            *sums.values(),
            func.coalesce(func.sum(stock.c.on_hand), 0).label("on_hand"),
            func.coalesce(func.sum(stock.c.available), 0).label("available"),
        )
        .select_from(sold.outerjoin(stock, stock.c.sku == sold.c.sku))
        .group_by(key)
        .order_by(sums[sort.value].desc(), key)
        .limit(limit)
    )
    ranked = (await session.execute(stmt)).mappings().all()
    names = await _names(session, {row["sku"] for row in ranked})
    return [
        {
            **_label(group, row["key"], row["sku"], names),
            "orders": int(row["orders"]),
            "units": int(row["units"]),
            "sales": Decimal(row["sales"]),
            "on_hand": int(row["on_hand"]),
            "available": int(row["available"]),
            **_rates(int(row["units"]), int(row["on_hand"]), int(row["available"]), period.days),
        }
        for row in ranked
    ]


async def slow_movers(session: AsyncSession, *, period: Period, idle_days: int) -> list[dict[str, Any]]:
    """SKUs with stock on hand and nothing sold in the `idle_days` days up to the range's end."""
    since = period.end - timedelta(days=idle_days - 1)
    sold = select(DailyProduct.sku).where(DailyProduct.day.between(since, period.end), DailyProduct.units > 0)
    on_hand = func.sum(StockLevel.on_hand)
    stmt = (
        select(StockLevel.sku, on_hand.label("on_hand"))
        .where(StockLevel.sku.not_in(sold))
        .group_by(StockLevel.sku)
        .having(on_hand > 0)
        .order_by(on_hand.desc(), StockLevel.sku)
        .limit(SLOW_MOVERS_LIMIT)
    )
    idle = {row["sku"]: int(row["on_hand"]) for row in (await session.execute(stmt)).mappings()}
    last_sold_stmt = (
        select(DailyProduct.sku, func.max(DailyProduct.day))
        .where(DailyProduct.sku.in_(list(idle)), DailyProduct.day <= period.end, DailyProduct.units > 0)
        .group_by(DailyProduct.sku)
    )
    last_sold = {sku: day for sku, day in await session.execute(last_sold_stmt)} if idle else {}
    names = await _names(session, set(idle))
    return [
        {
            "sku": sku,
            "name": names.get(sku, {}).get("name", sku),
            "on_hand": units,
            "last_sold": last_sold.get(sku),
        }
        for sku, units in idle.items()
    ]


async def product_series(
    session: AsyncSession, *, period: Period, granularity: Granularity, category: str | None, sku: str | None
) -> list[dict[str, Any]]:
    """Units and sales per bucket: of every product, or of one category or SKU."""
    if category is None and sku is None:
        stmt = (
            select(DailySales.day, func.sum(DailySales.units), func.sum(DailySales.gross))
            .where(DailySales.day.between(period.start, period.end), DailySales.status != CANCELLED)
            .group_by(DailySales.day)
        )
    else:
        stmt = select(DailyProduct.day, func.sum(DailyProduct.units), func.sum(DailyProduct.sales)).where(
            DailyProduct.day.between(period.start, period.end)
        )
        stmt = stmt.where(DailyProduct.category == category) if category is not None else stmt
        stmt = stmt.where(DailyProduct.sku == sku) if sku is not None else stmt
        stmt = stmt.group_by(DailyProduct.day)
    series: dict[date, tuple[int, Decimal]] = {start: (0, ZERO) for start in buckets(period, granularity)}
    for day, units, sales in await session.execute(stmt):
        bucket = bucket_of(day, granularity)
        series[bucket] = (series[bucket][0] + int(units), series[bucket][1] + Decimal(sales))
    return [{"period": start, "units": units, "sales": sales} for start, (units, sales) in series.items()]


def products_sheets(report: Mapping[Any, Any]) -> list[Sheet]:
    group = report["group"]
    key = {"variant": "sku", "product": "product_id", "category": "category"}[group]
    columns = (
        key,
        "name",
        "orders",
        "units",
        "sales",
        "on_hand",
        "available",
        "sell_through",
        "days_of_stock",
    )
    best = [[item.get(c) for c in columns] for item in report["best_sellers"]]
    slow_columns = ("sku", "name", "on_hand", "last_sold")
    slow = [[item[c] for c in slow_columns] for item in report["slow_movers"]]
    series = [[p["period"], p["units"], p["sales"]] for p in report["series"]]
    return [
        Sheet("best_sellers", columns, best),
        Sheet("slow_movers", slow_columns, slow),
        Sheet("series", ("period", "units", "sales"), series),
    ]


async def products_report(
    session: AsyncSession,
    *,
    period: Period,
    granularity: Granularity,
    group: ProductGroup,
    sort: ProductSort,
    limit: int,
    idle_days: int,
    category: str | None,
    sku: str | None,
    currency: str,
) -> dict[str, Any]:
    return {
        "from": period.start,
        "to": period.end,
        "currency": currency,
        "group": group.value,
        "sort": sort.value,
        "idle_days": idle_days,
        "best_sellers": await best_sellers(
            session, period=period, group=group, sort=sort, limit=limit, category=category
        ),
        "slow_movers": await slow_movers(session, period=period, idle_days=idle_days),
        "series": await product_series(
            session, period=period, granularity=granularity, category=category, sku=sku
        ),
    }
