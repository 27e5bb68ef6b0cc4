"""Report API latency over a large shop on PostgreSQL.

    python -m bench.reports --orders 1000000 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/dingdan_bench

Loads N orders of demo history into an empty database (`dingdan demo --orders N`: bulk load,
then a rollup rebuild; skipped when the database already holds orders), then asks each report
for a one-year range ending today, in-process through the ASGI app (app + database time, no
network), and prints p50/p95/p99/max per report from the raw latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from dingdan.auth import service as auth
from dingdan.auth.models import Staff
from dingdan.auth.rules import Role
from dingdan.main import create_app
from dingdan.orders.service import ORDERS
from dingdan.platform import clock, migrate
from dingdan.platform.db import Database
from dingdan.platform.settings import Settings
from dingdan.reports.rollups import rebuild
from dingdan.workflows.load_demo_at_scale import load_demo_at_scale

BENCH_EMAIL = "bench-analyst@dingdan.test"
QUERIES = {
    "sales (day)": ("/api/v1/reports/sales", {"granularity": "day"}),
    "sales (month)": ("/api/v1/reports/sales", {"granularity": "month"}),
    "orders (week)": ("/api/v1/reports/orders", {"granularity": "week"}),
    "regions (county)": ("/api/v1/reports/regions", {}),
    "regions (district)": ("/api/v1/reports/regions", {"level": "district"}),
    "products (variant)": ("/api/v1/reports/products", {}),
    "products (category)": ("/api/v1/reports/products", {"group": "category", "sort": "sales"}),
    "fulfilment (month)": ("/api/v1/reports/fulfilment", {"granularity": "month"}),
    "sales csv": ("/api/v1/reports/sales", {"format": "csv"}),
}


async def ensure_orders(db: Database, orders: int) -> int:
    async with db.read() as session:
        present = int(await session.scalar(select(func.count()).select_from(ORDERS)) or 0)
    if present:
        print(f"database holds {present} orders; not loading")
        return present
    started = time.perf_counter()
    await load_demo_at_scale(db, orders=orders, progress=lambda n: print(f"\r  loaded {n}", end=""))
    loaded = time.perf_counter() - started
    await rebuild(db)
    rebuilt = time.perf_counter() - started - loaded
    print(f"\nloaded {orders} orders in {loaded:.0f} s, rollups rebuilt in {rebuilt:.0f} s")
    return orders


async def bench_token(db: Database) -> str:
    async def issue(session) -> str:
        staff = await session.scalar(select(Staff).where(Staff.email == BENCH_EMAIL))
        if staff is None:
            staff = await auth.create_staff(
                session, email=BENCH_EMAIL, password="bench-only-password", role=Role.ANALYST
            )
        return await auth.issue_token(session, staff=staff)

    return await db.write(issue)


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(client: httpx.AsyncClient, headers: dict[str, str], requests: int, days: int) -> list[str]:
    today = clock.now().astimezone(ZoneInfo("Asia/Taipei")).date()
    window = {"from": str(today - timedelta(days=days - 1)), "to": str(today)}
    lines = ["| report | p50 ms | p95 ms | p99 ms | max ms |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, (path, params) in QUERIES.items():
        for _ in range(3):  # warm the connection pool and the caches
            (await client.get(path, params={**window, **params}, headers=headers)).raise_for_status()
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path, params={**window, **params}, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        lines.append(
            f"| {name} | {statistics.median(samples):.1f} | {percentile(samples, 0.95):.1f} | "
            f"{percentile(samples, 0.99):.1f} | {max(samples):.1f} |"
        )
    return lines


async def run(database_url: str, *, orders: int, requests: int, days: int) -> list[str]:
    """Load when empty, then measure: the table of p50/p95/p99/max per report."""
    db = Database(database_url)
    try:
        present = await ensure_orders(db, orders)
        headers = {"Authorization": f"Bearer {await bench_token(db)}"}
        app = create_app(Settings(database_url=database_url, run_relay=False), db=db)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            lines = await measure(client, headers, requests, days)
    finally:
        await db.dispose()
    return [f"W4 reports: {present:,} orders, {days}-day range, {requests} sequential requests each", "", *lines]


async def main(args: argparse.Namespace) -> None:
    print("\n".join(await run(args.database_url, orders=args.orders, requests=args.requests, days=args.days)))


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to load into an empty database")
    parser.add_argument(
        "--database-url", default=os.environ.get("DINGDAN_BENCH_DATABASE_URL", ""), required=False
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per report")
    parser.add_argument("--days", type=int, default=365, help="length of the range asked for")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("give --database-url postgresql+asyncpg://… (or DINGDAN_BENCH_DATABASE_URL)")
    return args


if __name__ == "__main__":
    arguments = parse()
    migrate.upgrade(arguments.database_url)
    asyncio.run(main(arguments))
