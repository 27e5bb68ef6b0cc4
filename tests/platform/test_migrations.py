"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from dingdan.platform import migrate
from dingdan.tables import metadata


def _diff(sync_url: str) -> list:
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    return diff


def test_sqlite_migrations_match_the_models(tmp_path):
    path = tmp_path / "migrated.sqlite3"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    assert _diff(f"sqlite:///{path}") == []


def test_postgres_migrations_match_the_models():
    url = os.environ.get("DINGDAN_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL not configured")
    admin = create_engine(url.replace("+asyncpg", "+psycopg2"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS dingdan_migration_check"))
        conn.execute(text("CREATE DATABASE dingdan_migration_check"))
    base = url.rsplit("/", 1)[0]
    try:
        migrate.upgrade(f"{base}/dingdan_migration_check")
        assert _diff(f"{base.replace('+asyncpg', '+psycopg2')}/dingdan_migration_check") == []
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS dingdan_migration_check WITH (FORCE)"))
        admin.dispose()
