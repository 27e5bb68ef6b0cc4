"""CPU cost of one placed order (W1 uniform, closed loop), read from /proc: the API process's
CPU and PostgreSQL's, divided by the orders placed. Throughput on a shared machine moves with
whatever else runs; the CPU an order costs moves much less, so this is the figure to compare
a change with on a noisy machine. Run with and without the in-process relay, which splits the
cost of taking the order from the cost of what follows it (rollups, notifications, staff
alerts, console push).

    python -m bench.cost [--db postgres|sqlite] [--orders 2000]

The database figure counts every PostgreSQL process on the machine: run it when no other
database work is going on, or read it as an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio

from bench import cpu, setup
from bench.loadgen import closed_loop
from bench.placement import placement_requests

WARM_UP = 300
CONCURRENCY = 16


def measure(url: str, token: str, *, orders: int, relay: bool) -> str:
    with setup.served(url, workers=1, extra_env={"DINGDAN_RUN_RELAY": str(relay).lower()}) as (base, proc):
        warm = placement_requests(base, token, count=WARM_UP, distribution="uniform", seed=7)
        asyncio.run(closed_loop(base, warm.__getitem__, concurrency=CONCURRENCY, total=WARM_UP))
        requests = placement_requests(base, token, count=orders, distribution="uniform", seed=relay + 11)
        before = cpu.snapshot(proc.pid)
        result = asyncio.run(closed_loop(base, requests.__getitem__, concurrency=CONCURRENCY, total=orders))
        after = cpu.snapshot(proc.pid)
    per_order = {part: (after[part] - before[part]) * 1000 / orders for part in ("app", "database")}
    return (
        f"| relay {'in the API process' if relay else 'off (placement only)'} "
        f"| {per_order['app']:.2f} ms | {per_order['database']:.2f} ms "
        f"| {orders / result.seconds:.0f}/s | {dict(result.statuses)} |"
    )


def run(kind: str, orders: int) -> list[str]:
    url = setup.fresh_database(kind, "dingdan_bench_cost")
    setup.seed(url, skus=10_000, stock=1_000_000)
    token = setup.channel_key(url)
    rows = [f"| **{kind}**, 1 API process, c={CONCURRENCY}, {orders} orders | app CPU / order "
            "| database CPU / order | orders/s | answers |", "| --- | ---: | ---: | ---: | --- |"]  # fmt: skip
    rows += [measure(url, token, orders=orders, relay=relay) for relay in (False, True)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cost")
    parser.add_argument("--db", choices=["postgres", "sqlite"], action="append")
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()
    for kind in args.db or ["postgres", "sqlite"]:
        print("\n".join(run(kind, args.orders)), "\n", sep="")


if __name__ == "__main__":
    main()
