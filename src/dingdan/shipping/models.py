"""Shipping tables: parcels (shipments) and their lines, tracking scans, pushes received,
exception cases.

A parcel refers to its order by number and id only; its lines snapshot SKU and quantity.
Every scan is kept once, under a unique dedupe key, so replays and full-history resends
add nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, UtcDateTime


class Shipment(Base):
    """One parcel of an order, followed from label to doorstep."""

    __tablename__ = "shipping_shipment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer)
    order_number: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(24))
    tracking_number: Mapped[str] = mapped_column(String(64))
    pickup_store: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    raw_code: Mapped[str] = mapped_column(String(64), default="")
    label_url: Mapped[str] = mapped_column(String(300), default="")
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Time of the scan that set `status`; the newest scan of any kind is `last_scan_at`.
    status_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_scan_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    current_location: Mapped[str] = mapped_column(String(200), default="")
    current_city: Mapped[str] = mapped_column(String(60), default="")
    route: Mapped[list[str]] = mapped_column(JSON, default=list)
    promised_delivery: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    estimated_delivery: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    stuck_rule: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("carrier", "tracking_number", name="uq_shipping_shipment_carrier_tracking"),
        Index("ix_shipping_shipment_order", "order_id", "id"),
        Index("ix_shipping_shipment_tracking_number", "tracking_number"),
        Index("ix_shipping_shipment_status", "status", "last_scan_at"),
        Index("ix_shipping_shipment_next_poll", "next_poll_at"),
    )


class ShipmentLine(Base):
    __tablename__ = "shipping_shipment_line"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipping_shipment.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    warehouse_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_shipping_shipment_line_shipment", "shipment_id"),
    )


class TrackingEventRow(Base):
    """One carrier scan, in dingdan's words, with the raw code beside them."""

    __tablename__ = "shipping_tracking_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipping_shipment.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    description: Mapped[str] = mapped_column(String(500))
    location_text: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(60))
    postal_code: Mapped[str] = mapped_column(String(12))
    raw_code: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_shipping_tracking_event_shipment", "shipment_id", "occurred_at"),)


class PushReceipt(Base):
    """One row per carrier push received, by the carrier's event id or the digest of the
    body: a replay finds it and changes nothing. Purged after the retention."""

    __tablename__ = "shipping_push_receipt"

    carrier: Mapped[str] = mapped_column(String(32), primary_key=True)
    push_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_shipping_push_receipt_received_at", "received_at"),)


class ExceptionCase(Base):
    """物流異常: one problem with one parcel, worked from the merchant's queue."""

    __tablename__ = "shipping_exception_case"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipping_shipment.id", ondelete="CASCADE"))
    order_number: Mapped[str] = mapped_column(String(20))
    tracking_number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # carrier (a scan said so) or stuck (no scan)
    cause: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    customer_message: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    resolution: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_shipping_exception_case_status", "status", "id"),
        Index("ix_shipping_exception_case_shipment", "shipment_id", "cause"),
    )
