"""Shapes of the report answers (for the OpenAPI docs). Money is a decimal string."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Loose(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class SalesFigures(Loose):
    orders: int
    units: int
    gross: str
    discounts: str
    shipping: str
    refunds: str
    net: str = Field(description="gross − discounts − refunds")
    aov: str = Field(description="average order value: (gross − discounts + shipping) / orders")


class SalesBucket(SalesFigures):
    period: date = Field(description="first day of the day, ISO week or month")


class PreviousSales(Loose):
    from_: date = Field(alias="from")
    to: date
    totals: SalesFigures


class SalesReport(Loose):
    from_: date = Field(alias="from")
    to: date
    granularity: str
    currency: str
    totals: SalesFigures
    previous: PreviousSales
    series: list[SalesBucket]


class Breakdown(Loose):
    orders: int
    amount: str
    previous_orders: int
    previous_amount: str
    status: str | None = None
    channel: str | None = None
    payment_method: str | None = None


class OrdersBucket(Loose):
    period: date
    orders: int
    by_status: dict[str, int]


class OrdersReport(Loose):
    from_: date = Field(alias="from")
    to: date
    granularity: str
    currency: str
    totals: dict[str, Any]
    by_status: list[Breakdown]
    by_channel: list[Breakdown]
    by_payment_method: list[Breakdown]
    series: list[OrdersBucket]


class RegionFigures(Loose):
    orders: int
    new_customers: int = Field(description="customers whose first order (by phone) falls here")
    units: int
    sales: str = Field(description="gross − discounts − refunds")


class RegionItem(RegionFigures):
    county: str
    county_en: str
    region: str
    region_en: str
    district: str | None = None


class RegionTotal(RegionFigures):
    region: str


class RegionsReport(Loose):
    from_: date = Field(alias="from")
    to: date
    currency: str
    level: str
    county: str | None
    items: list[RegionItem]
    by_region: list[RegionTotal]
    totals: RegionFigures


class ProductItem(Loose):
    name: str
    sku: str | None = None
    product_id: int | None = None
    category: str | None = None
    attributes: dict[str, str] | None = None
    orders: int
    units: int
    sales: str
    on_hand: int
    available: int
    sell_through: float | None = Field(description="units sold / (units sold + on hand)")
    days_of_stock: float | None = Field(description="available / average units sold per day")


class SlowMover(Loose):
    sku: str
    name: str
    on_hand: int
    last_sold: date | None


class ProductBucket(Loose):
    period: date
    units: int
    sales: str


class ProductsReport(Loose):
    from_: date = Field(alias="from")
    to: date
    currency: str
    group: str
    sort: str
    idle_days: int
    best_sellers: list[ProductItem]
    slow_movers: list[SlowMover]
    series: list[ProductBucket]


class FulfilmentFigures(Loose):
    orders: int
    confirmed: int
    shipped: int
    delivered: int
    hours_to_confirm: float | None
    hours_to_ship: float | None
    hours_to_deliver: float | None
    exceptions: int
    exception_share: float | None = Field(description="exceptions / shipped orders")


class FulfilmentBucket(FulfilmentFigures):
    period: date


class FulfilmentByCarrier(FulfilmentFigures):
    carrier: str


class FulfilmentByChannel(FulfilmentFigures):
    channel: str


class FulfilmentReport(Loose):
    from_: date = Field(alias="from")
    to: date
    granularity: str
    totals: FulfilmentFigures
    by_carrier: list[FulfilmentByCarrier]
    by_channel: list[FulfilmentByChannel]
    series: list[FulfilmentBucket]
