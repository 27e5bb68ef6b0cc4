"""payment events parked until their payment is known

Revision ID: 0008_parked_payment_events
Revises: 0001_order_core
Create Date: 2026-11-25 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dingdan.platform.types


revision = "0008_parked_payment_events"
down_revision = "0001_order_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payments_parked_event",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=120), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=120), nullable=True),
        sa.Column("order_number", sa.String(length=20), nullable=True),
        sa.Column("amount", dingdan.platform.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("occurred_at", dingdan.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", dingdan.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", dingdan.platform.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_payments_parked_event")),
    )
    with op.batch_alter_table("payments_parked_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_parked_event_payment", ["provider", "provider_payment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payments_parked_event", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_parked_event_payment")
    op.drop_table("payments_parked_event")
