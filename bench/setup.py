"""Fresh databases, seeded fast, and the app served in its own processes."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from dingdan.auth.models import Staff, StaffToken
from dingdan.auth.rules import hash_password, hash_token
from dingdan.catalog.models import Category, Product, Variant
from dingdan.channels.models import Channel, ChannelApiKey
from dingdan.channels.rules import generate_api_key
from dingdan.channels.service import SEED_CHANNELS
from dingdan.inventory.models import InventoryItem, Movement, StockLevel, Warehouse
from dingdan.platform import clock, migrate

PG_ADMIN = os.environ.get("DINGDAN_BENCH_PG_ADMIN", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
VAR = Path("var/bench")


def fresh_database(kind: str, name: str = "dingdan_bench") -> str:
    """A new, migrated database; returns its async URL."""
    drop_database(kind, name)
    if kind == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite+aiosqlite:///{VAR}/{name}.sqlite3"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0].replace("+psycopg2", "+asyncpg") + f"/{name}"
    migrate.upgrade(url)
    return url


def drop_database(kind: str, name: str) -> None:
    """Removes a database `fresh_database` made."""
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR}/{name}.sqlite3{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def kept_database(name: str) -> str:
    """A PostgreSQL database kept between runs (created and migrated when missing)."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0].replace("+psycopg2", "+asyncpg") + f"/{name}"
    migrate.upgrade(url)
    return url


def sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg2")


def seed(url: str, *, skus: int, stock: int) -> str:
    """Channels, a warehouse, `skus` products with `stock` units each and an owner's token."""
    engine = create_engine(sync_url(url))
    now = clock.now()
    token = "dd_" + secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(insert(Channel), [{**c, "orders_arrive_paid": False, "active": True,
                                         "webhook_secrets": [], "created_at": now} for c in SEED_CHANNELS])
        conn.execute(insert(Warehouse), [{"id": 1, "code": "main", "name": "主倉", "priority": 10, "active": True}])
        conn.execute(insert(Category), [{"id": 1, "code": "bench", "name": "bench"}])
        conn.execute(insert(Product), [{"id": i, "name": f"商品 {i}", "description": "", "category_id": 1,
                                        "active": True, "created_at": now, "updated_at": now} for i in range(1, skus + 1)])
        conn.execute(insert(Variant), [{"id": i, "product_id": i, "sku": f"B-{i:05d}", "price": Decimal(100 + i % 900),
                                        "attributes": {"尺寸": "M"}, "active": True} for i in range(1, skus + 1)])
        conn.execute(insert(InventoryItem), [{"sku": f"B-{i:05d}", "low_stock_threshold": 0} for i in range(1, skus + 1)])
        conn.execute(insert(StockLevel), [{"sku": f"B-{i:05d}", "warehouse_id": 1, "on_hand": stock, "reserved": 0}
                                          for i in range(1, skus + 1)])
        conn.execute(insert(Movement), [{"sku": f"B-{i:05d}", "warehouse_id": 1, "kind": "adjust", "delta_on_hand": stock,
                                         "delta_reserved": 0, "reason": "bench", "actor": "bench", "created_at": now}
                                        for i in range(1, skus + 1)])
        staff_id = conn.execute(insert(Staff).returning(Staff.id), [{
            "email": "bench@dingdan.test", "name": "bench", "password_hash": hash_password("bench-password"),
            "role": "owner", "active": True, "created_at": now}]).scalar_one()
        conn.execute(insert(StaffToken), [{"token_hash": hash_token(token), "staff_id": staff_id, "kind": "api",
                                           "created_at": now, "expires_at": now.replace(year=now.year + 1)}])
    engine.dispose()
    return token


def channel_key(url: str, channel: str = "web") -> str:
    """A new API key of a channel: the way a storefront places orders."""
    key = generate_api_key()
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(insert(ChannelApiKey), [{"channel_code": channel, "name": "bench", "key_hash": key.key_hash,
                                              "display_prefix": key.display_prefix, "created_by": "bench",
                                              "created_at": clock.now()}])
    engine.dispose()
    return key.plaintext


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(url: str, *, workers: int = 1, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {**os.environ, "DINGDAN_DATABASE_URL": url, "DINGDAN_VAR_DIR": str(VAR), "DINGDAN_LOG_LEVEL": "WARNING", "DINGDAN_RUN_RELAY": "true",
           **(extra_env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "dingdan.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
         "--loop", "uvloop", "--http", "httptools"],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    time.sleep(0.5 * workers)
    try:
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=20)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)
