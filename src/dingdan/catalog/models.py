"""Catalog tables: categories, products and their sellable variants (one SKU each)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, Money, UtcDateTime


class Category(Base):
    __tablename__ = "catalog_category"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Product(Base):
    __tablename__ = "catalog_product"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_category.id"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    image_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.id", lazy="selectin"
    )
    category: Mapped[Category | None] = relationship(lazy="selectin")


class Variant(Base):
    __tablename__ = "catalog_variant"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    price: Mapped[Decimal] = mapped_column(Money)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    barcode: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    weight_grams: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[Product] = relationship(back_populates="variants", lazy="raise")

    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("weight_grams IS NULL OR weight_grams >= 0", name="weight_not_negative"),
    )
