"""Reports: JSON, CSV and XLSX, read from the rollups (on the replica when one is set)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from dingdan.platform import clock
from dingdan.platform.money import money_text
from dingdan.reports import exports, schemas
from dingdan.reports.fulfilment import fulfilment_report, fulfilment_sheets
from dingdan.reports.periods import Granularity, Period, parse_period
from dingdan.reports.products import ProductGroup, ProductSort, products_report, products_sheets
from dingdan.reports.regions import RegionLevel, regions_report, regions_sheets
from dingdan.reports.rollups import shop_zone
from dingdan.reports.sales import SalesFilter, orders_report, orders_sheets, sales_report, sales_sheets
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import ReportsDB, ReportsRead

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


From = Annotated[
    date | None, Query(alias="from", description="first day (shop's time zone); default: 29 days before `to`")
]
To = Annotated[date | None, Query(description="last day, included; default: today")]
Code = Annotated[str | None, Query(max_length=32, pattern=r"^[a-z0-9_\-]+$")]
FORMAT_DOC = "json (default), csv (the first table) or xlsx (every table, one sheet each)"
Fmt = Annotated[Format, Query(alias="format", description=FORMAT_DOC)]
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {exports.CSV_MEDIA_TYPE: {}, exports.XLSX_MEDIA_TYPE: {}}},
    **problems(401, 403, 422),
}
Sheets = Callable[[Mapping[str, Any]], Sequence[exports.Sheet]]


def report_period(start: date | None, end: date | None) -> Period:
    return parse_period(start, end, today=clock.now().astimezone(shop_zone()).date())


def _currency(request: Request) -> str:
    return str(request.app.state.settings.currency)


def money_as_text(value: Any, currency: str) -> Any:
    if isinstance(value, Decimal):
        return money_text(value, currency)
    if isinstance(value, dict):
        return {k: money_as_text(v, currency) for k, v in value.items()}
    if isinstance(value, list):
        return [money_as_text(v, currency) for v in value]
    return value


def answer(name: str, report: Mapping[str, Any], fmt: Format, sheets: Sheets, currency: str) -> Response:
    if fmt is Format.JSON:
        return json_response(money_as_text(report, currency))
    filename = f"{name}-{report['from']}-{report['to']}.{fmt.value}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt is Format.CSV:
        return Response(exports.to_csv(sheets(report)), media_type=exports.CSV_MEDIA_TYPE, headers=headers)
    return Response(exports.to_xlsx(sheets(report)), media_type=exports.XLSX_MEDIA_TYPE, headers=headers)


Build = Callable[[AsyncSession, Period, str], Awaitable[dict[str, Any]]]


async def respond(
    request: Request,
    db: Any,
    name: str,
    days: tuple[date | None, date | None],
    fmt: Format,
    sheets: Sheets,
    build: Build,
) -> Response:
    """One report over `days` (from, to), built from the rollups and answered in `fmt`."""
    period, currency = report_period(*days), _currency(request)
    async with db.read() as session:
        report = await build(session, period, currency)
    return answer(name, report, fmt, sheets, currency)


@router.get(
    "/sales",
    response_model=schemas.SalesReport,
    responses=EXPORT_RESPONSES,
    summary="Sales day/week/month book with the previous period",
)
async def get_sales(
    request: Request,
    db: ReportsDB,
    _: ReportsRead,
    from_: From = None,
    to: To = None,
    granularity: Granularity = Granularity.DAY,
    channel: Code = None,
    payment_method: Code = None,
    fmt: Fmt = Format.JSON,
) -> Response:
    where = SalesFilter(channel=channel, payment_method=payment_method)

    def build(session: AsyncSession, period: Period, currency: str) -> Awaitable[dict[str, Any]]:
        return sales_report(session, period=period, granularity=granularity, where=where, currency=currency)

    return await respond(request, db, "sales", (from_, to), fmt, sales_sheets, build)


@router.get(
    "/orders",
    response_model=schemas.OrdersReport,
    responses=EXPORT_RESPONSES,
    summary="Orders and amounts by status, channel and payment method",
)
async def get_orders(
    request: Request,
    db: ReportsDB,
    _: ReportsRead,
    from_: From = None,
    to: To = None,
    granularity: Granularity = Granularity.DAY,
    channel: Code = None,
    payment_method: Code = None,
    status: Code = None,
    fmt: Fmt = Format.JSON,
) -> Response:
    where = SalesFilter(channel=channel, payment_method=payment_method, status=status)

    def build(session: AsyncSession, period: Period, currency: str) -> Awaitable[dict[str, Any]]:
        return orders_report(session, period=period, granularity=granularity, where=where, currency=currency)

    return await respond(request, db, "orders", (from_, to), fmt, orders_sheets, build)


@router.get(
    "/regions",
    response_model=schemas.RegionsReport,
    responses=EXPORT_RESPONSES,
    summary="Orders, new customers and sales by county/city or district",
)
async def get_regions(
    request: Request,
    db: ReportsDB,
    _: ReportsRead,
    from_: From = None,
    to: To = None,
    level: RegionLevel = RegionLevel.COUNTY,
    county: Annotated[str | None, Query(max_length=60, description="only this county's districts")] = None,
    fmt: Fmt = Format.JSON,
) -> Response:
    def build(session: AsyncSession, period: Period, currency: str) -> Awaitable[dict[str, Any]]:
        return regions_report(session, period=period, level=level, county=county, currency=currency)

    return await respond(request, db, "regions", (from_, to), fmt, regions_sheets, build)


@router.get(
    "/products",
    response_model=schemas.ProductsReport,
    responses=EXPORT_RESPONSES,
    summary="Best sellers, slow movers, sell-through and days of stock left",
)
async def get_products(
    request: Request,
    db: ReportsDB,
    _: ReportsRead,
    from_: From = None,
    to: To = None,
    granularity: Granularity = Granularity.DAY,
    group: ProductGroup = ProductGroup.VARIANT,
    sort: ProductSort = ProductSort.UNITS,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    idle_days: Annotated[int, Query(ge=1, le=366, description="slow movers: nothing sold in N days")] = 30,
    category: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    fmt: Fmt = Format.JSON,
) -> Response:
    def build(session: AsyncSession, period: Period, currency: str) -> Awaitable[dict[str, Any]]:
        return products_report(
            session, period=period, granularity=granularity, group=group, sort=sort, limit=limit,
            idle_days=idle_days, category=category, sku=sku, currency=currency,
        )  # fmt: skip

    return await respond(request, db, "products", (from_, to), fmt, products_sheets, build)


@router.get(
    "/fulfilment",
    response_model=schemas.FulfilmentReport,
    responses=EXPORT_RESPONSES,
    summary="Hours to confirm, ship and deliver; parcel exceptions by carrier",
)
async def get_fulfilment(
    request: Request,
    db: ReportsDB,
    _: ReportsRead,
    from_: From = None,
    to: To = None,
    granularity: Granularity = Granularity.DAY,
    channel: Code = None,
    fmt: Fmt = Format.JSON,
) -> Response:
    def build(session: AsyncSession, period: Period, currency: str) -> Awaitable[dict[str, Any]]:
        return fulfilment_report(session, period=period, granularity=granularity, channel=channel)

    return await respond(request, db, "fulfilment", (from_, to), fmt, fulfilment_sheets, build)
