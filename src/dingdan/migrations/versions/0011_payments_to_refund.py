"""partial index of the payments flagged for a refund

Revision ID: 0011_payments_to_refund
Revises: 0005_portal
Create Date: 2026-11-26 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_payments_to_refund"
down_revision = "0005_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments_payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_payment_needs_refund",
            ["id"],
            unique=False,
            postgresql_where=sa.text("needs_refund"),
            sqlite_where=sa.text("needs_refund = 1"),
        )


def downgrade() -> None:
    with op.batch_alter_table("payments_payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_payment_needs_refund")
