"""webhook receipts: processing outcome, carrier push receipts, indexes for the retention purge

Revision ID: 0012_webhook_receipts
Revises: 0004_shipping, 0011_payments_to_refund
Create Date: 2026-12-06 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dingdan.platform.types

revision = "0012_webhook_receipts"
down_revision = ("0004_shipping", "0011_payments_to_refund")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments_webhook_receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_payments_webhook_receipt_received_at", ["received_at"], unique=False)
        batch_op.create_index(
            "ix_payments_webhook_receipt_payment", ["provider", "provider_payment_id"], unique=False
        )
    # Receipts from before this version were processed in their request.
    op.execute("UPDATE payments_webhook_receipt SET outcome = 'processed'")
    op.create_table(
        "shipping_push_receipt",
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("push_id", sa.String(length=120), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("received_at", dingdan.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("carrier", "push_id", name=op.f("pk_shipping_push_receipt")),
    )
    with op.batch_alter_table("shipping_push_receipt", schema=None) as batch_op:
        batch_op.create_index("ix_shipping_push_receipt_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shipping_push_receipt", schema=None) as batch_op:
        batch_op.drop_index("ix_shipping_push_receipt_received_at")
    op.drop_table("shipping_push_receipt")
    with op.batch_alter_table("payments_webhook_receipt", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_webhook_receipt_payment")
        batch_op.drop_index("ix_payments_webhook_receipt_received_at")
        batch_op.drop_column("outcome")
