"""Order tables. Lines snapshot the SKU, name, attributes and price they were sold at."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, Money, UtcDateTime


class Order(Base):
    __tablename__ = "orders_order"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel_code: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    idempotency_scope: Mapped[str | None] = mapped_column(String(80), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    status: Mapped[str] = mapped_column(String(24))
    payment_status: Mapped[str] = mapped_column(String(24))
    fulfillment_status: Mapped[str] = mapped_column(String(24))
    payment_method: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping_fee: Mapped[Decimal] = mapped_column(Money)
    discount_total: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    item_count: Mapped[int] = mapped_column(Integer)

    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer_name: Mapped[str] = mapped_column(String(120))
    customer_phone: Mapped[str] = mapped_column(String(32))
    customer_email: Mapped[str] = mapped_column(String(254))
    ship_recipient: Mapped[str] = mapped_column(String(120))
    ship_phone: Mapped[str] = mapped_column(String(32))
    ship_country: Mapped[str] = mapped_column(String(2))
    ship_city: Mapped[str] = mapped_column(String(60))
    ship_district: Mapped[str] = mapped_column(String(60))
    ship_postal_code: Mapped[str] = mapped_column(String(12))
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)
    review_issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    line_fingerprint: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    placed_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("channel_code", "external_id", name="uq_orders_order_channel_external"),
        UniqueConstraint("idempotency_scope", "idempotency_key", name="uq_orders_order_idempotency"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_orders_order_status", "status", "id"),
        Index("ix_orders_order_created_at", "created_at"),
        # The status in it lets a customer's tab counts read the index alone.
        Index("ix_orders_order_customer_tab", "customer_id", "id", "status"),
        Index("ix_orders_order_customer_phone", "customer_phone", "created_at"),
        Index("ix_orders_order_channel", "channel_code", "id"),
    )


class OrderLine(Base):
    __tablename__ = "orders_line"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(Integer)
    product_name: Mapped[str] = mapped_column(String(200))
    category_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    catalog_price: Mapped[Decimal] = mapped_column(Money)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[Decimal] = mapped_column(Money)
    backordered_quantity: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("order_id", "line_no", name="uq_orders_line_order_line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "backordered_quantity >= 0 AND backordered_quantity <= quantity",
            name="backorder_within_quantity",
        ),
        Index("ix_orders_line_sku", "sku", "order_id"),
    )
