"""Rollup tables: what the reports read, kept current by the event stream.

Each rollup row sums the contributions of the orders placed on one local day (or month) in the
shop's time zone. `reports_order_fact` keeps what each order last contributed, so a handler can
replace that contribution with the order's current one: the update is a difference, which makes
it idempotent, order-independent and right for late events (an old order updates its old day).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import Money


class OrderFact(Base):
    """One row per order: its contribution to every rollup, as last applied."""

    __tablename__ = "reports_order_fact"

    order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32))
    payment_method: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    county: Mapped[str] = mapped_column(String(60))
    district: Mapped[str] = mapped_column(String(60))
    units: Mapped[int] = mapped_column(Integer)
    gross: Mapped[Decimal] = mapped_column(Money)
    discounts: Mapped[Decimal] = mapped_column(Money)
    shipping: Mapped[Decimal] = mapped_column(Money)
    refunds: Mapped[Decimal] = mapped_column(Money)
    first_order: Mapped[bool] = mapped_column(Boolean)
    confirm_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ship_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deliver_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    carrier: Mapped[str] = mapped_column(String(32))
    exception: Mapped[bool] = mapped_column(Boolean)
    lines: Mapped[list[Any]] = mapped_column(JSON)


class DailySales(Base):
    __tablename__ = "reports_daily_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    payment_method: Mapped[str] = mapped_column(String(24), primary_key=True)
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    gross: Mapped[Decimal] = mapped_column(Money)
    discounts: Mapped[Decimal] = mapped_column(Money)
    shipping: Mapped[Decimal] = mapped_column(Money)
    refunds: Mapped[Decimal] = mapped_column(Money)


class _ProductMeasures:
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    # Orders counted once per product and once per category: each order adds 1 on the row of
    # the first SKU (in SKU order) it holds of that product / category, so a sum over a
    # product's or category's rows counts distinct orders.
    product_orders: Mapped[int] = mapped_column(Integer, server_default="0")
    category_orders: Mapped[int] = mapped_column(Integer, server_default="0")
    units: Mapped[int] = mapped_column(Integer)
    sales: Mapped[Decimal] = mapped_column(Money)


class DailyProduct(_ProductMeasures, Base):
    __tablename__ = "reports_daily_product"

    day: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (
        PrimaryKeyConstraint("day", "sku", "product_id", "category"),
        Index("ix_reports_daily_product_sku_day", "sku", "day"),
        Index("ix_reports_daily_product_category_day", "category", "day"),
    )


class MonthlyProduct(_ProductMeasures, Base):
    """The same as the daily table, by month: a year is 12 rows per SKU instead of 365."""

    __tablename__ = "reports_monthly_product"

    month: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (PrimaryKeyConstraint("month", "sku", "product_id", "category"),)


class _RegionMeasures:
    county: Mapped[str] = mapped_column(String(60), primary_key=True)
    district: Mapped[str] = mapped_column(String(60), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    new_customers: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    gross: Mapped[Decimal] = mapped_column(Money)
    discounts: Mapped[Decimal] = mapped_column(Money)
    refunds: Mapped[Decimal] = mapped_column(Money)


class DailyRegion(_RegionMeasures, Base):
    __tablename__ = "reports_daily_region"

    day: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (PrimaryKeyConstraint("day", "county", "district"),)


class MonthlyRegion(_RegionMeasures, Base):
    __tablename__ = "reports_monthly_region"

    month: Mapped[date] = mapped_column(Date, primary_key=True)

    __table_args__ = (PrimaryKeyConstraint("month", "county", "district"),)


class DailyFulfilment(Base):
    __tablename__ = "reports_daily_fulfilment"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    carrier: Mapped[str] = mapped_column(String(32), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    confirmed: Mapped[int] = mapped_column(Integer)
    confirm_seconds: Mapped[int] = mapped_column(BigInteger)
    shipped: Mapped[int] = mapped_column(Integer)
    ship_seconds: Mapped[int] = mapped_column(BigInteger)
    delivered: Mapped[int] = mapped_column(Integer)
    deliver_seconds: Mapped[int] = mapped_column(BigInteger)
    exceptions: Mapped[int] = mapped_column(Integer)
