"""`make bench`: W1 mixed placement and W2 flash sale on SQLite and PostgreSQL, the pgbench
ceiling of the same SQL, efficiency = app / ceiling; then W3 (my orders, page 1 and page 50)
and W4 (reports) over a large shop on PostgreSQL (`dingdan_bench_reports`, loaded with
--large-orders demo orders the first time: about ten minutes for 1,000,000). Figures are
printed and added to docs/benchmarks.md. Options: --quick (small runs), --db sqlite|postgres,
--skip-ceiling, --skip-large, --large-orders N."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import cpu, loadgen, my_orders, placement, setup, tracking
from bench import reports as report_bench

DOCS = Path("docs/benchmarks.md")


def machine() -> str:
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cores} cores, Python {platform.python_version()}, {pg}, SQLite (aiosqlite)"


def w1(base: str, token: str, pid: int, *, quick: bool, open_rate: int) -> list[str]:
    lines = []
    total = 1500 if quick else 6000
    requests = placement.placement_requests(base, token, count=total * 5, distribution="uniform")
    zipf = placement.placement_requests(base, token, count=total, distribution="zipf", seed=9)
    offset = 0
    best = 0.0
    for concurrency in (1, 8, 32, 64) if not quick else (8, 32):
        before = cpu.snapshot(pid)
        n = total if concurrency > 1 else total // 5
        result = asyncio.run(loadgen.closed_loop(base, lambda i, o=offset: requests[o + i], concurrency=concurrency, total=n))
        offset += n
        best = max(best, result.summary().rate)
        lines.append(f"| W1 uniform closed c={concurrency} | {result.summary().line()} | {dict(result.statuses)} | {cpu.split(before, cpu.snapshot(pid))} |")
    result = asyncio.run(loadgen.closed_loop(base, lambda i: zipf[i], concurrency=32, total=total))
    lines.append(f"| W1 Zipf closed c=32 | {result.summary().line()} | {dict(result.statuses)} | |")
    rest = requests[offset:]
    seconds = 5 if quick else 15
    result = asyncio.run(loadgen.open_loop(base, lambda i: rest[i % len(rest)], rate=open_rate, seconds=seconds))
    lines.append(f"| W1 open loop {open_rate}/s | {result.summary().line()} | {dict(result.statuses)} | |")
    lines.append(f"| **W1 knee** | **{best:.0f} orders/s** | | |")
    return lines


def w2(kind: str, *, buyers: int, units: int, workers: int) -> list[str]:
    """K units, C buyers at once, each attempt a new customer buying one: K + C attempts in all,
    so exactly K win and C lose; "sold out in" is the time for all attempts to be answered."""
    url = setup.fresh_database(kind, "dingdan_bench_w2")
    setup.seed(url, skus=10, stock=units)
    token = setup.channel_key(url)
    attempts = units + buyers
    with setup.served(url, workers=workers) as (base, _server):
        requests = placement.flash_sale_requests(base, token, buyers=attempts)
        result = asyncio.run(loadgen.closed_loop(base, lambda i: requests[i], concurrency=buyers, total=attempts))
    engine = create_engine(setup.sync_url(url))
    with engine.connect() as conn:
        on_hand, reserved = conn.execute(text("SELECT on_hand, reserved FROM inventory_stock_level WHERE sku='B-00001'")).one()
        sold = conn.execute(text("SELECT count(*) FROM orders_line WHERE sku='B-00001'")).scalar_one()
    engine.dispose()
    verdict = "exact" if sold == units == reserved else f"WRONG sold={sold} reserved={reserved}"
    return [f"| W2 K={units} C={buyers} | sold out in {result.seconds:.2f} s; {result.summary().line()} | "
            f"{dict(result.statuses)} | {verdict} (on_hand {on_hand}, reserved {reserved}) |"]


def pgbench_ceiling(script: str, clients: int, seconds: int) -> float:
    url = setup.fresh_database("postgres", "dingdan_bench_ceiling")
    setup.seed(url, skus=10_000, stock=10_000_000)
    db = url.rsplit("/", 1)[1]
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-d", db, "-c", "CREATE SEQUENCE pgb_seq"], check=True)
    out = subprocess.run(
        ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-M", "prepared", "-j", "2", "-c", str(clients),
         "-T", str(seconds), "-f", script, db], capture_output=True, text=True, check=True).stdout
    return float(next(line for line in out.splitlines() if line.startswith("tps")).split()[2])


def run_db(kind: str, quick: bool) -> list[str]:
    workers = 2 if kind == "postgres" else 1
    url = setup.fresh_database(kind)
    setup.seed(url, skus=10_000, stock=1_000_000)
    token = setup.channel_key(url)
    rows = [f"| **{kind}**, {workers} API process(es) | | | |"]
    with setup.served(url, workers=workers) as (base, proc):
        rows += w1(base, token, proc.pid, quick=quick, open_rate=500 if kind == "postgres" else 250)
        rows += tracking.w5(url, base, concurrency=32, total=2000 if quick else 6000)
    rows += w2(kind, buyers=256, units=1000 if not quick else 200, workers=workers)
    return rows


LARGE_DB = "dingdan_bench_reports"


def large_shop(orders: int, quick: bool) -> list[str]:
    """W3 and W4 over one large PostgreSQL shop, kept between runs (the load is the slow part)."""
    url = setup.kept_database(LARGE_DB)
    w4 = asyncio.run(report_bench.run(url, orders=orders, requests=50 if quick else 200, days=365))
    w3 = my_orders.run(url, concurrency=32, total=1000 if quick else 4000, workers=2)
    return ["| **postgres, large shop** | | | |", *w3, "", *w4]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--large-orders", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = ["| workload | throughput and latency | answers | notes / CPU split |", "| --- | --- | --- | --- |"]
    knees = {}
    for kind in args.db or ["sqlite", "postgres"]:
        part = run_db(kind, args.quick)
        knees[kind] = next(r for r in part if r.startswith("| **W1 knee**"))
        rows += part
    if not args.skip_ceiling and "postgres" in (args.db or ["sqlite", "postgres"]):
        seconds = 5 if args.quick else 15
        w1_ceiling = pgbench_ceiling("bench/sql/w1_place.sql", 32, seconds)
        w2_ceiling = pgbench_ceiling("bench/sql/w2_hot.sql", 8, seconds)
        app = float(knees["postgres"].split("**")[3].split()[0])
        rows.append(f"| pgbench ceiling, W1 SQL, c=32 | {w1_ceiling:.0f} tx/s | | efficiency = {app / w1_ceiling:.2f} |")
        rows.append(f"| pgbench ceiling, W2 hot-row SQL, c=8 | {w2_ceiling:.0f} tx/s | | |")
    if not args.skip_large:
        rows += large_shop(args.large_orders, args.quick)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = [f"\n## {stamp} — `make bench{' --quick' if args.quick else ''}`\n",
               f"Machine: {machine()}. App, database and load generator on the same machine.\n", *rows, ""]
    print("\n".join(section))
    with DOCS.open("a", encoding="utf-8") as docs:
        docs.write("\n".join(section) + "\n")
    print(json.dumps({"written": str(DOCS)}))


if __name__ == "__main__":
    main()
