"""Notification tables: the delivery log (one row per message per recipient) and preferences."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, UtcDateTime


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a sender until `claimed_until`
    SENT = "sent"
    FAILED = "failed"  # given up: permanent refusal or out of attempts
    HELD = "held"  # waiting for the staff member's daily digest
    DIGESTED = "digested"  # went out inside a digest


class AlertMode(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


class Delivery(Base):
    __tablename__ = "notifications_delivery"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(48))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300))
    short_text: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    order_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    provider: Mapped[str] = mapped_column(String(16), default="")
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        Index("ix_notifications_delivery_due", "status", "next_attempt_at"),
        Index("ix_notifications_delivery_order", "order_number", "id"),
        Index("ix_notifications_delivery_staff", "staff_id", "channel", "id"),
        Index("ix_notifications_delivery_channel", "channel", "provider", "id"),
    )


class CustomerPreference(Base):
    """How a customer wants to hear from the shop. Keyed `customer:<id>` or `phone:<number>`
    (guests); without a row both channels are on, in the shop's default language."""

    __tablename__ = "notifications_customer_preference"

    customer_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StaffPreference(Base):
    """How a staff member wants merchant alerts by e-mail (the console always shows them)."""

    __tablename__ = "notifications_staff_preference"

    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(16), default=AlertMode.IMMEDIATE.value)
    locale: Mapped[str] = mapped_column(String(16))
    last_digest_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
