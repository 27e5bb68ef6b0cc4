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

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.models import Category, Product, Variant
from dingdan.inventory.models import StockLevel
from dingdan.platform.money import ZERO
from dingdan.reports.exports import Sheet
from dingdan.reports.facts import CANCELLED
from dingdan.reports.models import DailyProduct, DailySales, MonthlyProduct
from dingdan.reports.periods import Granularity, Period, bucket_of, buckets, split_by_month

MEASURES = ("orders", "units", "sales")
SLOW_MOVERS_LIMIT = 50


class ProductGroup(StrEnum):
    VARIANT = "variant"
    PRODUCT = "product"
    CATEGORY = "category"


class ProductSort(StrEnum):
    UNITS = "units"
    SALES = "sales"


async def _sum_by_sku(
    session: AsyncSession, period: Period, category: str | None
) -> dict[tuple[str, int, str], dict[str, Any]]:
    split = split_by_month(period)
    parts: list[tuple[Any, ColumnElement[bool]]] = [
        (DailyProduct, DailyProduct.day.between(p.start, p.end)) for p in split.loose
    ]
    if split.first_month is not None:
        parts.append((MonthlyProduct, MonthlyProduct.month.between(split.first_month, split.last_month)))
    found: dict[tuple[str, int, str], dict[str, Any]] = {}
    for model, in_range in parts:
        keys = (model.sku, model.product_id, model.category)
        stmt = select(*keys, *(func.sum(getattr(model, m)).label(m) for m in MEASURES)).where(in_range)
        if category is not None:
            stmt = stmt.where(model.category == category)
        for row in (await session.execute(stmt.group_by(*keys))).mappings():
            into = found.setdefault(
                (row["sku"], row["product_id"], row["category"]), dict.fromkeys(MEASURES, 0)
            )
            for measure in MEASURES:
                into[measure] += row[measure]
    return found


async def _stock_by_sku(session: AsyncSession) -> dict[str, tuple[int, int]]:
    stmt = select(
        StockLevel.sku, func.sum(StockLevel.on_hand), func.sum(StockLevel.on_hand - StockLevel.reserved)
    ).group_by(StockLevel.sku)
    return {sku: (int(on_hand), int(available)) for sku, on_hand, available in await session.execute(stmt)}


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


def _group_key(group: ProductGroup, sku: str, product_id: int, category: str) -> Any:
    return {ProductGroup.VARIANT: sku, ProductGroup.PRODUCT: product_id, ProductGroup.CATEGORY: category}[
        group
    ]


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
    by_sku = await _sum_by_sku(session, period, category)
    stock = await _stock_by_sku(session)
    grouped: dict[Any, dict[str, Any]] = {}
    for (sku, product_id, cat), sums in by_sku.items():
        if not any(sums.values()):
            continue  # every order of it was cancelled
        entry = grouped.setdefault(
            _group_key(group, sku, product_id, cat),
            {"orders": 0, "units": 0, "sales": ZERO, "on_hand": 0, "available": 0, "sku": sku},
        )
        for measure in MEASURES:
            entry[measure] += sums[measure]
        on_hand, available = stock.get(sku, (0, 0))
        entry["on_hand"] += on_hand
        entry["available"] += available
    ranked = sorted(grouped.items(), key=lambda kv: (-kv[1][sort.value], str(kv[0])))[:limit]
    names = await _names(session, {entry["sku"] for _, entry in ranked})
    return [
        {
            **_label(group, key, entry["sku"], names),
            "orders": int(entry["orders"]),
            "units": int(entry["units"]),
            "sales": Decimal(entry["sales"]),
            "on_hand": entry["on_hand"],
            "available": entry["available"],
            **_rates(int(entry["units"]), entry["on_hand"], entry["available"], period.days),
        }
        for key, entry in ranked
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
