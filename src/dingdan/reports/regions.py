"""Where customers are (客戶分布): orders, new customers, units and sales by county/city and
district, ranked; whole months come from the monthly rollup, the loose days from the daily one."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.platform import taiwan
from dingdan.platform.money import ZERO
from dingdan.reports.exports import Sheet
from dingdan.reports.models import DailyRegion, MonthlyRegion
from dingdan.reports.periods import Period, rollup_reads

MEASURES = ("orders", "new_customers", "units", "gross", "discounts", "refunds")
OTHER_REGION = ("其他", "Elsewhere")
REGIONS = {c.name: (c.region, c.region_en) for c in taiwan.list_counties()}
COUNTY_EN = {c.name: c.name_en for c in taiwan.list_counties()}


class RegionLevel(StrEnum):
    COUNTY = "county"
    DISTRICT = "district"


async def _sum_by_place(
    session: AsyncSession, period: Period, county: str | None
) -> dict[tuple[str, str], dict[str, Any]]:
    reads = rollup_reads(period)
    parts: list[tuple[Any, ColumnElement[bool], int]] = [
        (DailyRegion, DailyRegion.day.between(run.start, run.end), sign) for run, sign in reads.days
    ]
    if reads.months:
        parts.append((MonthlyRegion, MonthlyRegion.month.in_(reads.months), 1))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for model, in_range, sign in parts:
        sums = [func.sum(getattr(model, m)).label(m) for m in MEASURES]
        stmt = (
            select(model.county, model.district, *sums).where(in_range).group_by(model.county, model.district)
        )
        if county is not None:
            stmt = stmt.where(model.county == county)
        for row in (await session.execute(stmt)).mappings():
            into = found.setdefault((row["county"], row["district"]), dict.fromkeys(MEASURES, 0))
            for measure in MEASURES:
                into[measure] += sign * row[measure]
    return found


def _figures(sums: Mapping[Any, Any]) -> dict[str, Any]:
    net = Decimal(sums["gross"]) - Decimal(sums["discounts"]) - Decimal(sums["refunds"])
    return {
        "orders": int(sums["orders"]),
        "new_customers": int(sums["new_customers"]),
        "units": int(sums["units"]),
        "sales": net,
    }


def _place(county: str, district: str | None) -> dict[str, Any]:
    region, region_en = REGIONS.get(county, OTHER_REGION)
    place = {"county": county, "county_en": COUNTY_EN.get(county, county), "region": region}
    place["region_en"] = region_en
    if district is not None:
        place["district"] = district
    return place


def _roll_up(by_place: Mapping[tuple[str, str], Mapping[Any, Any]], key_of: Any) -> dict[Any, dict[str, Any]]:
    grouped: dict[Any, dict[str, Any]] = {}
    for place, sums in by_place.items():
        into = grouped.setdefault(key_of(place), dict.fromkeys(MEASURES, 0))
        for measure in MEASURES:
            into[measure] += sums[measure]
    return grouped


async def regions_report(
    session: AsyncSession,
    *,
    period: Period,
    level: RegionLevel,
    county: str | None,
    currency: str,
) -> dict[str, Any]:
    by_place = await _sum_by_place(session, period, county)
    places: dict[tuple[str, str | None], Mapping[Any, Any]] = {(c, d): v for (c, d), v in by_place.items()}
    if level is RegionLevel.COUNTY:
        places = {(c, None): sums for (c,), sums in _roll_up(by_place, lambda p: (p[0],)).items()}
    items = [{**_place(c, d), **_figures(sums)} for (c, d), sums in places.items() if any(sums.values())]
    items.sort(key=lambda item: (-item["sales"], -item["orders"], item["county"], item.get("district", "")))
    regions = _roll_up(by_place, lambda p: REGIONS.get(p[0], OTHER_REGION)[0])
    return {
        "from": period.start,
        "to": period.end,
        "currency": currency,
        "level": level.value,
        "county": county,
        "items": items,
        "by_region": sorted(
            ({"region": name, **_figures(sums)} for name, sums in regions.items() if any(sums.values())),
            key=lambda r: (-r["sales"], r["region"]),
        ),
        "totals": _figures(_roll_up(by_place, lambda _p: "all").get("all", dict.fromkeys(MEASURES, ZERO))),
    }


def regions_sheets(report: Mapping[Any, Any]) -> list[Sheet]:
    columns = ["region", "county", "county_en"]
    if report["level"] == RegionLevel.DISTRICT.value:
        columns.append("district")
    columns += ["orders", "new_customers", "units", "sales"]
    rows = [[item[c] for c in columns] for item in report["items"]]
    by_region = [
        [r[c] for c in ("region", "orders", "new_customers", "units", "sales")] for r in report["by_region"]
    ]
    return [
        Sheet("regions", columns, rows),
        Sheet("by_region", ("region", "orders", "new_customers", "units", "sales"), by_region),
    ]
