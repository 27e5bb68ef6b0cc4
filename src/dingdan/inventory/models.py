"""Inventory tables. `0 <= reserved <= on_hand` is a CHECK, the last line of defence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, UtcDateTime


class Warehouse(Base):
    __tablename__ = "inventory_warehouse"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InventoryItem(Base):
    """One row per SKU: the settings that are not per warehouse."""

    __tablename__ = "inventory_item"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)

    __table_args__ = (CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),)


class StockLevel(Base):
    __tablename__ = "inventory_stock_level"

    sku: Mapped[str] = mapped_column(ForeignKey("inventory_item.sku"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("inventory_warehouse.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )


class Movement(Base):
    """The ledger: every change of on_hand or reserved, so levels can be recomputed."""

    __tablename__ = "inventory_movement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(String(64))
    warehouse_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    delta_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    delta_reserved: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(200), default="")
    order_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_inventory_movement_sku", "sku", "id"),
        Index("ix_inventory_movement_order_ref", "order_ref"),
    )
