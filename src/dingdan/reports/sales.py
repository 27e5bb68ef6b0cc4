"""Sales day book and month book (銷售日報表 / 月報表), and order statistics, from the daily
sales rollup: the cost grows with the days in the range, not with the orders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.platform.money import ZERO, round_money
from dingdan.reports.exports import Sheet
from dingdan.reports.facts import CANCELLED
from dingdan.reports.models import DailySales
from dingdan.reports.periods import Granularity, Period, bucket_of, buckets

MEASURES = ("orders", "units", "gross", "discounts", "shipping", "refunds")


@dataclass(frozen=True)
class SalesFilter:
    channel: str | None = None
    payment_method: str | None = None
    status: str | None = None

    def conditions(self, *, sold_only: bool) -> list[ColumnElement[bool]]:
        found = [DailySales.status != CANCELLED] if sold_only and self.status is None else []
        for column, value in (
            (DailySales.channel, self.channel),
            (DailySales.payment_method, self.payment_method),
            (DailySales.status, self.status),
        ):
            if value is not None:
                found.append(column == value)
        return found


def _sums() -> list[Any]:
    return [func.coalesce(func.sum(getattr(DailySales, m)), 0).label(m) for m in MEASURES]


def _in(period: Period) -> ColumnElement[bool]:
    return DailySales.day.between(period.start, period.end)


def summary(row: Mapping[Any, Any], currency: str) -> dict[str, Any]:
    """The figures of a sales row: net = gross − discounts − refunds; AOV = average order total."""
    orders = int(row["orders"])
    gross, discounts = Decimal(row["gross"]), Decimal(row["discounts"])
    shipping, refunds = Decimal(row["shipping"]), Decimal(row["refunds"])
    aov = round_money((gross - discounts + shipping) / orders, currency) if orders else ZERO
    return {
        "orders": orders,
        "units": int(row["units"]),
        "gross": gross,
        "discounts": discounts,
        "shipping": shipping,
        "refunds": refunds,
        "net": gross - discounts - refunds,
        "aov": aov,
    }


def _empty_row() -> dict[str, Any]:
    return dict.fromkeys(MEASURES, 0)


def _add(into: dict[str, Any], row: Mapping[Any, Any]) -> None:
    for measure in MEASURES:
        into[measure] += row[measure]


async def _totals(session: AsyncSession, period: Period, stmt: Select[Any]) -> dict[str, Any]:
    row = (await session.execute(stmt.where(_in(period)))).mappings().one()
    return dict(row)


async def sales_report(
    session: AsyncSession, *, period: Period, granularity: Granularity, where: SalesFilter, currency: str
) -> dict[str, Any]:
    conditions = where.conditions(sold_only=True)
    daily = select(DailySales.day, *_sums()).where(_in(period), *conditions).group_by(DailySales.day)
    per_bucket = {start: _empty_row() for start in buckets(period, granularity)}
    for row in (await session.execute(daily)).mappings():
        _add(per_bucket[bucket_of(row["day"], granularity)], row)
    totals = _empty_row()
    for sums in per_bucket.values():
        _add(totals, sums)
    previous = period.previous()
    before = await _totals(session, previous, select(*_sums()).where(*conditions))
    return {
        "from": period.start,
        "to": period.end,
        "granularity": granularity.value,
        "currency": currency,
        "totals": summary(totals, currency),
        "previous": {"from": previous.start, "to": previous.end, "totals": summary(before, currency)},
        "series": [{"period": start, **summary(row, currency)} for start, row in per_bucket.items()],
    }


def _amount(row: Mapping[Any, Any]) -> Decimal:
    return Decimal(row["gross"]) - Decimal(row["discounts"]) + Decimal(row["shipping"])


def _breakdown(rows: Iterable[Mapping[Any, Any]], dimension: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(row[dimension], {"orders": 0, "amount": ZERO})
        entry["orders"] += int(row["orders"])
        entry["amount"] += _amount(row)
    return found


def _compare(now: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]], name: str) -> list[Any]:
    zero = {"orders": 0, "amount": ZERO}
    return [
        {
            name: key,
            **now.get(key, zero),
            "previous_orders": before.get(key, zero)["orders"],
            "previous_amount": before.get(key, zero)["amount"],
        }
        for key in sorted(now.keys() | before.keys(), key=lambda k: (-now.get(k, zero)["orders"], k))
        if now.get(key, zero)["orders"] or before.get(key, zero)["orders"]
    ]


async def orders_report(
    session: AsyncSession, *, period: Period, granularity: Granularity, where: SalesFilter, currency: str
) -> dict[str, Any]:
    """Orders and amounts (order totals) by status, channel and payment method, every status."""
    dims = (DailySales.channel, DailySales.payment_method, DailySales.status)
    conditions = where.conditions(sold_only=False)
    grouped = select(*dims, *_sums()).where(*conditions).group_by(*dims)
    now = list((await session.execute(grouped.where(_in(period)))).mappings())
    before = list((await session.execute(grouped.where(_in(period.previous())))).mappings())
    series_stmt = (
        select(DailySales.day, DailySales.status, *_sums())
        .where(_in(period), *conditions)
        .group_by(DailySales.day, DailySales.status)
    )
    series: dict[date, dict[str, int]] = {start: {} for start in buckets(period, granularity)}
    for row in (await session.execute(series_stmt)).mappings():
        counts = series[bucket_of(row["day"], granularity)]
        counts[row["status"]] = counts.get(row["status"], 0) + int(row["orders"])
    totals = {"orders": sum(int(r["orders"]) for r in now), "amount": sum((_amount(r) for r in now), ZERO)}
    return {
        "from": period.start,
        "to": period.end,
        "granularity": granularity.value,
        "currency": currency,
        "totals": {**totals, "previous_orders": sum(int(r["orders"]) for r in before)},
        "by_status": _compare(_breakdown(now, "status"), _breakdown(before, "status"), "status"),
        "by_channel": _compare(_breakdown(now, "channel"), _breakdown(before, "channel"), "channel"),
        "by_payment_method": _compare(
            _breakdown(now, "payment_method"), _breakdown(before, "payment_method"), "payment_method"
        ),
        "series": [
            {"period": start, "orders": sum(c.values()), "by_status": c} for start, c in series.items()
        ],
    }


SALES_COLUMNS = ("period", "orders", "units", "gross", "discounts", "shipping", "refunds", "net", "aov")


def sales_sheets(report: Mapping[Any, Any]) -> list[Sheet]:
    rows = [[entry[c] for c in SALES_COLUMNS] for entry in report["series"]]
    return [Sheet("sales", SALES_COLUMNS, rows)]


def orders_sheets(report: Mapping[Any, Any]) -> list[Sheet]:
    columns = ("dimension", "value", "orders", "amount", "previous_orders", "previous_amount")
    rows = [
        [dimension, entry[dimension], *(entry[c] for c in columns[2:])]
        for dimension in ("status", "channel", "payment_method")
        for entry in report[f"by_{dimension}"]
    ]
    return [Sheet("orders", columns, rows)]
