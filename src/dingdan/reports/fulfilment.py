"""Fulfilment health: hours from placement to confirmation, shipment and delivery, and the share
of shipped orders with a parcel exception, by channel and carrier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.reports.exports import Sheet
from dingdan.reports.models import DailyFulfilment
from dingdan.reports.periods import Granularity, Period, bucket_of, buckets

MEASURES = (
    "orders",
    "confirmed",
    "confirm_seconds",
    "shipped",
    "ship_seconds",
    "delivered",
    "deliver_seconds",
    "exceptions",
)
HOUR = 3600


def _hours(seconds: int, count: int) -> float | None:
    return round(seconds / count / HOUR, 2) if count else None


def figures(sums: Mapping[Any, Any]) -> dict[str, Any]:
    shipped = int(sums["shipped"])
    return {
        "orders": int(sums["orders"]),
        "confirmed": int(sums["confirmed"]),
        "shipped": shipped,
        "delivered": int(sums["delivered"]),
        "hours_to_confirm": _hours(int(sums["confirm_seconds"]), int(sums["confirmed"])),
        "hours_to_ship": _hours(int(sums["ship_seconds"]), shipped),
        "hours_to_deliver": _hours(int(sums["deliver_seconds"]), int(sums["delivered"])),
        "exceptions": int(sums["exceptions"]),
        "exception_share": round(int(sums["exceptions"]) / shipped, 4) if shipped else None,
    }


def _add(into: dict[str, int], row: Mapping[Any, Any]) -> None:
    for measure in MEASURES:
        into[measure] += int(row[measure])


async def _sums_by(
    session: AsyncSession, period: Period, channel: str | None, *dims: Any
) -> list[RowMapping]:
    sums = [func.sum(getattr(DailyFulfilment, m)).label(m) for m in MEASURES]
    stmt = select(*dims, *sums).where(DailyFulfilment.day.between(period.start, period.end)).group_by(*dims)
    if channel is not None:
        stmt = stmt.where(DailyFulfilment.channel == channel)
    return list((await session.execute(stmt)).mappings())


def _by(rows: list[RowMapping], name: str) -> list[dict[str, Any]]:
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        _add(found.setdefault(row[name], dict.fromkeys(MEASURES, 0)), row)
    return [{name: key, **figures(sums)} for key, sums in sorted(found.items())]


async def fulfilment_report(
    session: AsyncSession, *, period: Period, granularity: Granularity, channel: str | None
) -> dict[str, Any]:
    series = {start: dict.fromkeys(MEASURES, 0) for start in buckets(period, granularity)}
    for row in await _sums_by(session, period, channel, DailyFulfilment.day):
        _add(series[bucket_of(row["day"], granularity)], row)
    places = await _sums_by(session, period, channel, DailyFulfilment.channel, DailyFulfilment.carrier)
    totals = dict.fromkeys(MEASURES, 0)
    for row in places:
        _add(totals, row)
    return {
        "from": period.start,
        "to": period.end,
        "granularity": granularity.value,
        "totals": figures(totals),
        "by_carrier": _by(places, "carrier"),
        "by_channel": _by(places, "channel"),
        "series": [{"period": start, **figures(v)} for start, v in series.items()],
    }


COLUMNS = (
    "orders",
    "confirmed",
    "shipped",
    "delivered",
    "hours_to_confirm",
    "hours_to_ship",
    "hours_to_deliver",
    "exceptions",
    "exception_share",
)


def fulfilment_sheets(report: Mapping[Any, Any]) -> list[Sheet]:
    return [
        Sheet(
            "series",
            ("period", *COLUMNS),
            [[e["period"], *(e[c] for c in COLUMNS)] for e in report["series"]],
        ),
        Sheet(
            "by_carrier",
            ("carrier", *COLUMNS),
            [[e["carrier"], *(e[c] for c in COLUMNS)] for e in report["by_carrier"]],
        ),
        Sheet(
            "by_channel",
            ("channel", *COLUMNS),
            [[e["channel"], *(e[c] for c in COLUMNS)] for e in report["by_channel"]],
        ),
    ]
