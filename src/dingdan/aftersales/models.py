"""After-sales tables: return/refund/exchange requests, reviews with photos, and the
customer-service thread of each order. Orders are referred to by their number."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, Money, UtcDateTime


class AftersalesRequest(Base):
    __tablename__ = "aftersales_request"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    order_number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    customer_note: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    refund_amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    decision_reason: Mapped[str] = mapped_column(String(500), default="")
    disposition: Mapped[str | None] = mapped_column(String(16), nullable=True)
    warehouse_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    refund_reference: Mapped[str | None] = mapped_column(String(120), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("refund_amount >= 0", name="refund_not_negative"),
        Index("ix_aftersales_request_status", "status", "id"),
        Index("ix_aftersales_request_order", "order_number"),
    )


class Review(Base):
    __tablename__ = "aftersales_review"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(String(20))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    moderated_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("order_number", "line_no", name="uq_aftersales_review_order_line"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_in_range"),
        Index("ix_aftersales_review_product", "product_id", "id"),
    )


class Photo(Base):
    """A re-encoded photo (no metadata); `token` is its unguessable name in URLs."""

    __tablename__ = "aftersales_photo"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    order_number: Mapped[str] = mapped_column(String(20))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_review.id"), nullable=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_request.id"), nullable=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_aftersales_photo_review", "review_id"),
        Index("ix_aftersales_photo_request", "request_id"),
    )


class Thread(Base):
    __tablename__ = "aftersales_thread"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(24))
    last_message_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_aftersales_thread_status", "status", "last_message_at"),)


class Message(Base):
    __tablename__ = "aftersales_message"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("aftersales_thread.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_aftersales_message_thread", "thread_id", "id"),)
