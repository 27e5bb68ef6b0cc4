"""Payments, refunds and the provider webhooks already processed.

Provider ids are unique per provider, and every call that moves money carries an idempotency
key stored on the row BEFORE the provider is called, so a retry reuses it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, Money, UtcDateTime


class Payment(Base):
    __tablename__ = "payments_payment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(32))
    provider_payment_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24))  # payments.rules.PaymentStatus
    redirect_url: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    needs_refund: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id", name="uq_payments_payment_provider_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payments_payment_order", "order_number", "id"),
        # The console's "payments to refund": a few rows among all payments, read on every
        # order-list page (the WHERE is how each dialect writes `Payment.needs_refund`).
        Index(
            "ix_payments_payment_needs_refund",
            "id",
            postgresql_where=text("needs_refund"),
            sqlite_where=text("needs_refund = 1"),
        ),
    )


class Refund(Base):
    __tablename__ = "payments_refund"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments_payment.id"))
    order_number: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))  # adapters.base.RefundStatus
    provider_refund_id: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    request_scope: Mapped[str | None] = mapped_column(String(80), nullable=True)
    request_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("request_scope", "request_key", name="uq_payments_refund_request"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payments_refund_payment", "payment_id", "id"),
        Index("ix_payments_refund_order", "order_number", "id"),
    )


class WebhookReceipt(Base):
    """One row per provider event received: a replay finds it and changes nothing. The event
    is processed after the answer; `outcome` says what processing did (NULL: not yet).
    Rows older than the retention are purged on a schedule."""

    __tablename__ = "payments_webhook_receipt"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    provider_payment_id: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (
        Index("ix_payments_webhook_receipt_received_at", "received_at"),
        Index("ix_payments_webhook_receipt_payment", "provider", "provider_payment_id"),
    )


class ParkedEvent(Base):
    """A verified provider event for a payment we do not know yet: its provider id was still
    being committed when the webhook came (the provider can be faster than our own write).
    It is acknowledged, kept here, and applied once the payment appears."""

    __tablename__ = "payments_parked_event"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    provider_payment_id: Mapped[str] = mapped_column(String(120))
    provider_refund_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    order_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_payments_parked_event_payment", "provider", "provider_payment_id"),)
