"""Console report pages: a filter form, a chart (Chart.js, fed by the report's JSON embedded in
the page) and the same numbers in a table under it; CSV and XLSX downloads of what is shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.platform.errors import DomainError
from dingdan.reports import exports
from dingdan.reports.errors import InvalidDateRange
from dingdan.reports.fulfilment import fulfilment_report, fulfilment_sheets
from dingdan.reports.periods import Granularity, Period
from dingdan.reports.products import ProductGroup, ProductSort, products_report, products_sheets
from dingdan.reports.regions import RegionLevel, regions_report, regions_sheets
from dingdan.reports.sales import SalesFilter, orders_report, orders_sheets, sales_report, sales_sheets
from dingdan.web.api.reports import Format, answer, money_as_text, report_period
from dingdan.web.deps import Principal, ReportsDB
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.templating import render

router = APIRouter(prefix="/console/reports", include_in_schema=False)
Analyst = Annotated[Principal, Depends(staff_page(Permission.REPORTS_READ))]
Builder = Callable[[AsyncSession, Period, "Filters", str], Awaitable[dict[str, Any]]]
Sheets = Callable[[Mapping[str, Any]], Sequence[exports.Sheet]]


@dataclass(frozen=True)
class Filters:
    granularity: Granularity
    channel: str | None
    level: RegionLevel
    group: ProductGroup


@dataclass(frozen=True)
class ReportPage:
    title: str
    build: Builder
    sheets: Sheets


def _sales(s: AsyncSession, p: Period, f: Filters, currency: str) -> Awaitable[dict[str, Any]]:
    where = SalesFilter(channel=f.channel)
    return sales_report(s, period=p, granularity=f.granularity, where=where, currency=currency)


def _orders(s: AsyncSession, p: Period, f: Filters, currency: str) -> Awaitable[dict[str, Any]]:
    where = SalesFilter(channel=f.channel)
    return orders_report(s, period=p, granularity=f.granularity, where=where, currency=currency)


def _regions(s: AsyncSession, p: Period, f: Filters, currency: str) -> Awaitable[dict[str, Any]]:
    return regions_report(s, period=p, level=f.level, county=None, currency=currency)


def _products(s: AsyncSession, p: Period, f: Filters, currency: str) -> Awaitable[dict[str, Any]]:
    return products_report(
        s,
        period=p,
        granularity=f.granularity,
        group=f.group,
        sort=ProductSort.UNITS,
        limit=20,
        idle_days=30,
        category=None,
        sku=None,
        currency=currency,
    )


def _fulfilment(s: AsyncSession, p: Period, f: Filters, currency: str) -> Awaitable[dict[str, Any]]:
    return fulfilment_report(s, period=p, granularity=f.granularity, channel=f.channel)


PAGES = {
    "sales": ReportPage("Sales", _sales, sales_sheets),
    "orders": ReportPage("Order statistics", _orders, orders_sheets),
    "regions": ReportPage("Where customers are", _regions, regions_sheets),
    "products": ReportPage("Product trends", _products, products_sheets),
    "fulfilment": ReportPage("Fulfilment health", _fulfilment, fulfilment_sheets),
}


@router.get("")
async def reports_home(_: Analyst) -> Response:
    return RedirectResponse("/console/reports/sales", status_code=303)


@router.get("/{name}")
async def report_page(
    request: Request,
    name: str,
    db: ReportsDB,
    _: Analyst,
    from_: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    to: Annotated[str | None, Query(max_length=10)] = None,
    granularity: Granularity = Granularity.DAY,
    channel: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z0-9_\-]*$")] = None,
    level: RegionLevel = RegionLevel.COUNTY,
    group: ProductGroup = ProductGroup.VARIANT,
    fmt: Annotated[Format, Query(alias="format")] = Format.JSON,
) -> Response:
    page = PAGES.get(name)
    if page is None:
        return render(request, "console/reports/unknown.html", {"pages": PAGES}, status=404)
    filters = Filters(granularity, channel or None, level, group)
    currency = str(request.app.state.settings.currency)
    error = None
    try:
        period = report_period(_date(from_, "from"), _date(to, "to"))
    except DomainError as refused:
        error, period = refused, report_period(None, None)
    async with db.read() as session:
        report = await page.build(session, period, filters, currency)
    if fmt is not Format.JSON and error is None:
        return answer(name, report, fmt, page.sheets, currency)
    chart = orjson.loads(orjson.dumps(money_as_text(report, currency)))
    context = {"name": name, "page": page, "pages": PAGES, "r": report, "f": filters, "error": error}
    context |= {"chart": chart, "query": request.url.query}
    return render(request, f"console/reports/{name}.html", context, status=422 if error else 200)


def _date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidDateRange(
            "{text!r} is not a date (YYYY-MM-DD)", params={"text": text}, field=field
        ) from exc
