"""W3: "my orders" over a large shop, through the served app (uvicorn, HTTP), on PostgreSQL.

    python -m bench.my_orders --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/dingdan_bench_reports

Uses a database already holding the demo history (see bench/reports.py, `--orders 1000000`).
Gives one bench customer every 500th order (about 2,000 of 1,000,000), walks the cursor to
page 50, then runs a closed loop at fixed concurrency on the first page and on page 50.
Page 50 should cost what page 1 costs: the list is a keyset (cursor) scan, not an OFFSET.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import urllib.parse
import urllib.request

from sqlalchemy import create_engine, func, select, text, update

from bench import loadgen, setup
from bench.http import build_request
from dingdan.customers import service as customers
from dingdan.orders.service import ORDERS
from dingdan.platform.db import Database

BENCH_CONTACT = "0900000500"


async def bench_customer_token(url: str, every: int) -> str:
    db = Database(url)

    async def ensure(session) -> str:  # type: ignore[no-untyped-def]
        account = await customers.find_account(session, contact=BENCH_CONTACT)
        if account is None:
            account = await customers.register(session, contact=BENCH_CONTACT, password="bench-only-password")
        await session.execute(
            update(ORDERS).where(ORDERS.c.id % every == 0).values(customer_id=account.id)
        )
        return await customers.issue_token(session, account=account)

    try:
        return await db.write(ensure)
    finally:
        await db.dispose()


def cursor_of_page(base: str, token: str, page: int) -> str:
    cursor = ""
    for _ in range(page - 1):
        query = urllib.parse.urlencode({"cursor": cursor} if cursor else {})
        request = urllib.request.Request(f"{base}/api/v1/me/orders?{query}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request) as answer:
            cursor = json.load(answer)["next_cursor"]
    return cursor


def run(url: str, *, concurrency: int, total: int, workers: int, every: int = 500) -> list[str]:
    token = asyncio.run(bench_customer_token(url, every))
    # Giving the bench customer its orders rewrote those rows; a live shop's autovacuum would
    # have marked them all-visible again long before, which lets the tab counts read the index.
    engine = create_engine(setup.sync_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        orders = conn.execute(select(func.count()).select_from(ORDERS)).scalar_one()
        conn.execute(text("VACUUM ANALYZE orders_order"))
    engine.dispose()
    rows = []
    with setup.served(url, workers=workers, extra_env={"DINGDAN_RUN_RELAY": "false"}) as (base, _):
        headers = {"Authorization": f"Bearer {token}"}
        for page in (1, 50):
            cursor = cursor_of_page(base, token, page)
            path = f"{base}/api/v1/me/orders" + (f"?cursor={urllib.parse.quote(cursor)}" if cursor else "")
            request = build_request("GET", path, headers=headers)
            asyncio.run(loadgen.closed_loop(base, lambda _i, r=request: r, concurrency=concurrency, total=200))
            result = asyncio.run(
                loadgen.closed_loop(base, lambda _i, r=request: r, concurrency=concurrency, total=total)
            )
            rows.append(f"| W3 my orders page {page}, {orders:,} orders, c={concurrency} | "
                        f"{result.summary().line()} | {dict(result.statuses)} | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=int, default=500, help="the bench customer owns every Nth order")
    args = parser.parse_args()
    print("\n".join(run(args.database_url, concurrency=args.concurrency, total=args.requests, workers=args.workers, every=args.every)))


if __name__ == "__main__":
    main()
