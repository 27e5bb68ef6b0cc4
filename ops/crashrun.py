"""Crash run: place orders under load while the server is killed with SIGKILL at random
moments, restart it, retry every request whose outcome was unknown with the same
Idempotency-Key, then audit. Prints a summary and (with --write) records it in
docs/reliability.md.

    python -m ops.crashrun --db sqlite --cycles 10
    python -m ops.crashrun --db postgres --cycles 10 [--restart-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field

import httpx
from bench import setup

from dingdan.platform import backup
from ops import cluster
from ops.outbox import wait_for_outbox
from ops.summaries import append_summary
from ops.workload import ADDRESS


@dataclass
class History:
    attempted: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key -> order number
    refused: int = 0
    unknown: set[str] = field(default_factory=set)  # keys whose outcome the client never saw
    resolved_on_retry: int = 0
    integrity_failures: int = 0


def order_body(key: str) -> dict[str, object]:
    return {
        "channel": "web",
        "external_id": key,
        "customer": {"name": "壓測客", "phone": f"09{abs(hash(key)) % 10**8:08d}"},
        "shipping_address": ADDRESS,
        "lines": [{"sku": f"B-{random.randint(1, 50):05d}", "quantity": random.randint(1, 2)}],
        "payment_method": random.choice(["cod", "online"]),
    }


async def send(http: httpx.AsyncClient, base: str, token: str, key: str, history: History) -> None:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    try:
        answer = await http.post(f"{base}/api/v1/orders", json=order_body(key), headers=headers)
    except httpx.HTTPError:
        history.unknown.add(key)
        return
    if answer.status_code in (200, 201):
        history.acknowledged[key] = answer.json()["number"]
        history.unknown.discard(key)
    elif answer.status_code >= 500:
        history.unknown.add(key)
    else:
        history.refused += 1
        history.unknown.discard(key)


async def load_until_killed(
    base: str, token: str, history: History, server: subprocess.Popen[bytes], seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5) as http:

        async def client() -> None:
            while time.monotonic() < deadline:
                history.attempted += 1
                await send(http, base, token, f"k-{history.attempted}-{random.random():.6f}", history)

        killer = asyncio.get_running_loop().call_later(
            seconds * random.uniform(0.4, 0.9), server.send_signal, signal.SIGKILL
        )
        await asyncio.gather(*[client() for _ in range(8)])
        killer.cancel()


async def retry_unknown(base: str, token: str, history: History) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for key in sorted(history.unknown):
            await send(http, base, token, key, history)
            if key in history.acknowledged:
                history.resolved_on_retry += 1


def audit(url: str, history: History) -> dict[str, object]:
    from sqlalchemy import create_engine, text

    engine = create_engine(setup.sync_url(url))
    with engine.connect() as conn:
        numbers = set(conn.execute(text("SELECT number FROM orders_order")).scalars())
        per_key = conn.execute(
            text("SELECT max(n) FROM (SELECT count(*) AS n FROM orders_order GROUP BY external_id) AS c")
        ).scalar()
        undelivered = conn.execute(
            text("SELECT count(*) FROM platform_event WHERE delivered_at IS NULL")
        ).scalar()
    engine.dispose()
    check = cluster.dingdan_check(
        {**os.environ, "DINGDAN_DATABASE_URL": url, "DINGDAN_VAR_DIR": str(setup.VAR)}
    )
    return {
        "orders attempted": history.attempted,
        "acknowledged": len(history.acknowledged),
        "acknowledged but missing": len(set(history.acknowledged.values()) - numbers),
        "duplicated (orders per key > 1)": max(0, (per_key or 1) - 1),
        "unknown outcomes resolved by retry": history.resolved_on_retry,
        "still unknown": len(history.unknown),
        "events waiting for delivery": undelivered,
        "sqlite integrity failures": history.integrity_failures,
        "dingdan check": check,
    }


def run(kind: str, cycles: int, seconds: float, restart_postgres: bool) -> dict[str, object]:
    url = setup.fresh_database(kind, "dingdan_crashrun")
    token = setup.seed(url, skus=50, stock=100_000)
    history = History()
    for cycle in range(cycles):
        with setup.served(url) as (base, server):
            asyncio.run(load_until_killed(base, token, history, server, seconds))
        if kind == "sqlite" and not backup.integrity_ok(url):
            history.integrity_failures += 1
        if restart_postgres and kind == "postgres" and cycle == cycles // 2:
            cluster.restart_postgres()
    with setup.served(url) as (base, _server):
        asyncio.run(retry_unknown(base, token, history))
        wait_for_outbox(url)  # the restarted server delivers what the killed ones left
    return audit(url, history)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ops.crashrun")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=4.0, help="load per cycle before the kill")
    parser.add_argument("--restart-postgres", action="store_true")
    parser.add_argument("--write", action="store_true", help="record the summary in docs/reliability.md")
    args = parser.parse_args()
    summary = run(args.db, args.cycles, args.seconds, args.restart_postgres)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.write:
        append_summary(f"`python -m ops.crashrun --db {args.db} --cycles {args.cycles}`", summary)


if __name__ == "__main__":
    main()
