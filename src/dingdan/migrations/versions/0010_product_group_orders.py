"""product rollups count each order once per product and per category

Revision ID: 0010_product_group_orders
Revises: 0007_reports
Create Date: 2026-11-26 01:40:00

Existing rows get 0; run `dingdan rollups rebuild` after upgrading a shop that already has
orders so the product and category order counts are filled in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_product_group_orders"
down_revision = "0007_reports"
branch_labels = None
depends_on = None

TABLES = ("reports_daily_product", "reports_monthly_product")
COLUMNS = ("product_orders", "category_orders")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.add_column(sa.Column(column, sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in COLUMNS:
                batch.drop_column(column)
