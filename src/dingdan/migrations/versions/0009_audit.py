"""audit log of staff actions

Revision ID: 0009_audit
Revises: 0001_order_core
Create Date: 2026-11-25 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dingdan.platform.types

revision = "0009_audit"
down_revision = "0001_order_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_audit_entry",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at", dingdan.platform.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_audit_entry")),
    )
    with op.batch_alter_table("platform_audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_platform_audit_entry_actor", ["actor", "id"], unique=False)
        batch_op.create_index("ix_platform_audit_entry_action", ["action", "id"], unique=False)
        batch_op.create_index(
            "ix_platform_audit_entry_object", ["object_type", "object_id", "id"], unique=False
        )
        batch_op.create_index("ix_platform_audit_entry_at", ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("platform_audit_entry")
