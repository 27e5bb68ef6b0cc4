"""Sales channels: where orders come from and how their intake behaves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, UtcDateTime


class Channel(Base):
    __tablename__ = "channels_channel"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(16))  # website, app, marketplace, manual, import
    stock_policy: Mapped[str] = mapped_column(String(16))  # reject | backorder
    auto_confirm: Mapped[bool] = mapped_column(Boolean, default=False)
    orders_arrive_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_secrets: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChannelApiKey(Base):
    """An API key of one channel. Only its SHA-256 hash is kept; the key is shown once."""

    __tablename__ = "channels_api_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels_channel.code", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_channels_api_key_channel", "channel_code", "id"),)


class WebhookDelivery(Base):
    """A marketplace delivery already handled, by the id the marketplace gives it: a replay
    is answered without work. Rows older than the retention are purged on a schedule."""

    __tablename__ = "channels_webhook_delivery"

    channel_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    order_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_channels_webhook_delivery_received_at", "received_at"),)


class ImportJob(Base):
    """One bulk import (or dry run) of a file: its progress and what it found."""

    __tablename__ = "channels_import_job"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    channel_code: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # queued, running, done, failed
    phase: Mapped[str] = mapped_column(String(16), default="")  # checking, placing
    orders_total: Mapped[int] = mapped_column(Integer, default=0)
    orders_done: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    already_present: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    preview: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
