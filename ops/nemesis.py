"""Nemesis soak (S-CR-1): a cluster on PostgreSQL and RabbitMQ (2 API processes, 2 workers, the
leading worker running the schedule) takes a mixed workload through its HTTP API while the
nemesis kills, pauses and restarts its processes and restarts PostgreSQL once; every request
is recorded in a history (invoke, then ok / fail / info). Afterwards the run is judged:

- every acknowledged order is in the database;
- every order key whose outcome was unknown (`info`) made 0 or 1 order, and a retry with the
  same key answers with that order;
- `dingdan check` finds no broken stock invariant (nor any other);
- no unpaid order older than the reservation TTL (plus one sweep interval) holds stock;
- after the PostgreSQL restart, the first 2xx came within 30 s.

    python -m ops.nemesis --minutes 20 --rate 200 [--database-url URL] [--postgres-mode immediate] [--write]

The database at --database-url ($DINGDAN_NEMESIS_DATABASE_URL, or dingdan_nemesis on the local
server) is emptied first. The history (one JSON line per invocation and per completion), the
summary and each process's log go to var/nemesis/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from bench import setup
from sqlalchemy import Engine, create_engine, text

from ops import cluster as ops_cluster
from ops.faults import Fault, Nemesis, Timetable
from ops.outbox import Ledger, sync_url
from ops.summaries import append_summary
from ops.workload import FAIL, INFO, OK, SCARCE_SKUS, Pacer, Workload

VAR = Path("var/nemesis")
SWEEP_EVERY = 30  # the schedule's expire_unpaid_orders interval (workflows/schedule.py)
LEADER_RETRY = 5  # platform/leader.py: a new leader takes over within this
RECOVERY_LIMIT = 30  # seconds from PostgreSQL accepting again to the first 2xx
SCARCE_STOCK = 30
CUSTOMERS = 8
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/dingdan_nemesis"


@dataclass(frozen=True)
class Plan:
    seconds: float
    rate: float
    timetable: Timetable
    ttl_minutes: float = 1.0  # unpaid orders expire after this (DINGDAN_UNPAID_TIMEOUT_MINUTES)
    clients: int = 0  # concurrent journeys; 0: one per request a second, at least 16

    @property
    def concurrency(self) -> int:
        return self.clients or max(16, int(self.rate))


def soak_plan(minutes: float, rate: float, postgres_mode: str = "fast") -> Plan:
    """The scenario's figures: a kill every 30 s, a worker paused for 20 s every 5 minutes,
    PostgreSQL restarted once (at 40 % of the run)."""
    seconds = minutes * 60
    faults = Timetable(kill_every=30, pause_every=300, pause_for=20, postgres_at=seconds * 0.4,
                       postgres_mode=postgres_mode)  # fmt: skip
    return Plan(seconds, rate, faults)


def run(database_url: str, plan: Plan) -> dict[str, Any]:
    started = time.monotonic()
    url = ops_cluster.reset_database(database_url)
    token = setup.seed(url, skus=50, stock=100_000)
    env = {
        "DINGDAN_UNPAID_TIMEOUT_MINUTES": str(plan.ttl_minutes),
        "DINGDAN_VAR_DIR": str(VAR),
        "DINGDAN_SECRET_KEY": f"nemesis-{random.randrange(10**12)}",
    }
    shutil.rmtree(VAR, ignore_errors=True)
    engine = create_engine(sync_url(url))
    try:
        with ops_cluster.running(database_url=url, settings=env, log_dir=VAR / "logs") as cluster:
            soak = asyncio.run(_soak(cluster, token, plan))
            settled = settle(engine, cluster, plan)
        summary = judge(engine, soak, settled, cluster.check())  # at rest: nothing writes any more
    finally:
        engine.dispose()
    load_began = soak.workload.history.started
    summary["seconds to set up / under load / to judge"] = " / ".join(
        f"{seconds:.0f}"
        for seconds in (
            load_began - started,
            soak.load_seconds,
            time.monotonic() - load_began - soak.load_seconds,
        )
    )
    soak.workload.history.write(VAR / "history.jsonl")
    (VAR / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


@dataclass
class Soak:
    workload: Workload
    nemesis: Nemesis
    load_seconds: float
    resolved: Counter[str]


async def _soak(cluster: ops_cluster.Cluster, token: str, plan: Plan) -> Soak:
    # keep-alive shorter than the server's: no request goes out on a connection it is closing
    limits = httpx.Limits(max_connections=plan.concurrency * 2, keepalive_expiry=2)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        staff = {"Authorization": f"Bearer {token}"}
        await _make_some_stock_scarce(http, cluster.apis[0], staff)
        customers = [await _register(http, cluster.apis[0], n) for n in range(CUSTOMERS)]
        workload = Workload(http, cluster.apis, staff, customers, Pacer(plan.rate))
        nemesis = Nemesis(cluster, workload.history, plan.timetable)
        load = asyncio.create_task(workload.run(plan.concurrency))
        await nemesis.run(plan.seconds)
        workload.stopped = True
        await load
        load_seconds = workload.history.now()
        resolved = await _resolve_unknown(workload, cluster.database_url)
    return Soak(workload, nemesis, load_seconds, resolved)


async def _make_some_stock_scarce(http: httpx.AsyncClient, api: str, staff: dict[str, str]) -> None:
    for sku in SCARCE_SKUS:
        answer = await http.post(
            f"{api}/api/v1/inventory/{sku}/adjustments",
            headers=staff,
            json={"delta": SCARCE_STOCK - 100_000, "reason": "盤點"},
        )
        answer.raise_for_status()


async def _register(http: httpx.AsyncClient, api: str, number: int) -> dict[str, str]:
    body = {"username": f"09{random.randrange(10**8):08d}", "password": "nemesis-soak", "name": f"客{number}"}
    answer = await http.post(f"{api}/api/v1/me/register", json=body)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def _resolve_unknown(workload: Workload, url: str) -> Counter[str]:
    """Each order key whose outcome was never seen: how many orders the database holds for it
    (0 or 1 allowed), then the same request again with the same key until it is answered; a
    key that had made its order must be answered with that very order."""
    engine = create_engine(sync_url(url))
    at_once = asyncio.Semaphore(16)

    async def resolve(key: str) -> list[str]:
        async with at_once:
            before = await asyncio.to_thread(_orders_of_key, engine, key)
            number = await _place_until_answered(workload, key)
        found = [f"resolved to {min(len(before), 2)} order(s)"]
        if number is None:
            found.append("still unknown after retries")
        elif before and number not in before:
            found.append("retry not answered with the key's order")
        return found

    try:
        unknown = [op.key for op in workload.history.ops if op.kind == "place" and op.type == INFO]
        return Counter(what for found in await asyncio.gather(*map(resolve, unknown)) for what in found)
    finally:
        engine.dispose()


async def _place_until_answered(workload: Workload, key: str, attempts: int = 10) -> str | None:
    """The order's number, "" when refused (a 4xx: nothing placed), None when never answered."""
    for _ in range(attempts):
        op = await workload.place(key, workload.placements[key], kind="place-again")
        if op.type != INFO:
            return op.order
        await asyncio.sleep(1)
    return None


def _orders_of_key(engine: Engine, key: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(text("SELECT number FROM orders_order WHERE note = :key"), {"key": key}).scalars()
        )


# --- the verdict -----------------------------------------------------------------------------
@dataclass
class Settled:
    """What the running cluster did after the load: events handled, unpaid orders swept."""

    handled_within: float | None  # seconds until every (event, handler) pair was handled
    handled_pairs: int
    past_ttl: int
    waited_for_sweep: float


def settle(engine: Engine, cluster: ops_cluster.Cluster, plan: Plan) -> Settled:
    ledger = Ledger(cluster.database_url)
    try:
        within = ledger.wait_until_handled(seconds=max(120, plan.seconds / 2))
        handled = ledger.handled_pairs()
    finally:
        ledger.close()
    return Settled(within, handled, *_wait_for_expiry(engine, plan.ttl_minutes))


def judge(engine: Engine, soak: Soak, settled: Settled, check: str) -> dict[str, Any]:
    ops = soak.workload.history.ops
    acknowledged = {op.key: op.order for op in ops if op.kind in {"place", "place-again"} and op.type == OK}
    with engine.connect() as conn:
        numbers = set(conn.execute(text("SELECT number FROM orders_order")).scalars())
        doubled = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT note FROM orders_order GROUP BY note HAVING count(*) > 1) AS d"
            )
        ).scalar_one()
        expired = conn.execute(
            text(
                "SELECT count(*) FROM platform_event WHERE topic = 'order.cancelled' "
                "AND payload->>'reason' = 'unpaid_timeout'"
            )
        ).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM platform_event")).scalar_one()
    return {
        "seconds under load": round(soak.load_seconds, 1),
        "requests": len(ops),
        "requests a second": round(len(ops) / soak.load_seconds, 1),
        "ops (ok / fail / info)": _tally(ops),
        "most frequent refusals": _refusals(ops),
        "orders attempted": len({op.key for op in ops if op.kind == "place"}),
        "acknowledged": len(acknowledged),
        "acknowledged but missing": len(set(acknowledged.values()) - numbers),
        "keys with 2+ orders": doubled,
        "unknown outcomes (info)": sum(1 for op in ops if op.kind == "place" and op.type == INFO),
        "unknown outcomes resolved": dict(soak.resolved),
        "faults": [f"{f.at:.1f} s {f.what} ({f.took:.1f} s)" for f in sorted(soak.nemesis.faults, key=_at)],
        **_recovery(soak),
        "unpaid orders past TTL after recovery": settled.past_ttl,
        "waited for the expiry sweep (s)": round(settled.waited_for_sweep, 1),
        "unpaid orders expired by the sweep": expired,
        "stock invariant violations": _stock_violations(check),
        "dingdan check": check,
        "events": events,
        "handled (event, handler) pairs": settled.handled_pairs,
        "every event handled by every handler (s after the checks began)": _round(settled.handled_within),
    }


def verdict(summary: dict[str, Any]) -> list[str]:
    """The pass criteria of S-CR-1 that the run broke; empty when it passed."""
    broken = []
    if summary["acknowledged but missing"]:
        broken.append("acknowledged orders are missing")
    if summary["keys with 2+ orders"] or summary["unknown outcomes resolved"].get("resolved to 2 order(s)"):
        broken.append("a key made two orders")
    if set(summary["unknown outcomes resolved"]) & {
        "retry not answered with the key's order",
        "still unknown after retries",
    }:
        broken.append("an unknown outcome did not resolve to its order")
    if summary["stock invariant violations"] or summary["dingdan check"] != "ok":
        broken.append("dingdan check found drift")
    if summary["unpaid orders past TTL after recovery"]:
        broken.append("reservations outlived their TTL")
    if summary["every event handled by every handler (s after the checks began)"] is None:
        broken.append("events still wait for their handlers")
    first = summary.get("first 2xx after PostgreSQL accepted again (s)")
    if "PostgreSQL down (s)" in summary and (first is None or first > RECOVERY_LIMIT):
        broken.append(f"no 2xx within {RECOVERY_LIMIT} s of the PostgreSQL restart")
    return broken


def _at(fault: Fault) -> float:
    return fault.at


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _tally(ops: list[Any]) -> dict[str, str]:
    counts = Counter((op.kind, op.type) for op in ops)
    kinds = sorted({op.kind for op in ops})
    return {kind: " / ".join(str(counts[kind, outcome]) for outcome in (OK, FAIL, INFO)) for kind in kinds}


def _refusals(ops: list[Any]) -> dict[str, int]:
    counts = Counter(f"{op.kind} {op.status or ''} {op.detail}".strip() for op in ops if op.type != OK)
    return dict(counts.most_common(8))


def _recovery(soak: Soak) -> dict[str, Any]:
    if soak.nemesis.postgres_down is None:
        return {}
    began, ready = soak.nemesis.postgres_down
    after = [op for op in soak.workload.history.ops if op.completed is not None and op.completed >= ready]
    first = min((op.completed for op in after if op.type == OK and op.invoked >= began), default=None)
    return {
        "PostgreSQL down (s)": round(ready - began, 1),
        "first 2xx after PostgreSQL accepted again (s)": None if first is None else round(first - ready, 1),
        "5xx or no answer in the 10 s after": sum(
            1 for op in after if op.type == INFO and op.completed < ready + 10
        ),
    }


def _wait_for_expiry(engine: Engine, ttl_minutes: float) -> tuple[int, float]:
    """Waits until the schedule has swept every unpaid order the load left (the newest comes
    due within a TTL; a new leader takes over and sweeps within an interval), then counts the
    unpaid orders older than the TTL plus one sweep interval: they should have been cancelled,
    their stock released. Returns that count and the seconds waited."""
    started, limit = time.monotonic(), ttl_minutes * 60 + 2 * SWEEP_EVERY + LEADER_RETRY + 10
    unpaid = text("SELECT count(*) FROM orders_order WHERE status = 'pending_payment'")
    while time.monotonic() - started < limit:
        with engine.connect() as conn:
            if not conn.execute(unpaid).scalar_one():
                break
        time.sleep(1)
    cutoff = datetime.now(UTC) - timedelta(minutes=ttl_minutes, seconds=SWEEP_EVERY)
    with engine.connect() as conn:
        leaked = conn.execute(
            text(
                "SELECT count(*) FROM orders_order WHERE status = 'pending_payment' AND created_at < :cutoff"
            ),
            {"cutoff": cutoff},
        ).scalar_one()
    return leaked, time.monotonic() - started


def _stock_violations(check: str) -> int:
    """Counts of the auditor's failed stock checks (bounds, ledger, reservations)."""
    total = 0
    for line in check.splitlines():
        if line.startswith("FAIL") and ("stock" in line or "reservations" in line):
            total += int(line.rsplit(":", 1)[1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ops.nemesis")
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--rate", type=float, default=200, help="requests a second, all journeys together")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DINGDAN_NEMESIS_DATABASE_URL", DEFAULT_URL),
        help="emptied first (created when missing)",
    )
    parser.add_argument("--postgres-mode", choices=["fast", "immediate"], default="fast",
                        help="immediate: PostgreSQL crashes and recovers from its WAL")  # fmt: skip
    parser.add_argument("--write", action="store_true", help="record the summary in docs/reliability.md")
    args = parser.parse_args()
    summary = run(args.database_url, soak_plan(args.minutes, args.rate, args.postgres_mode))
    broken = verdict(summary)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print("S-CR-1:", "pass" if not broken else "FAIL: " + "; ".join(broken))
    if args.write:
        command = f"python -m ops.nemesis --minutes {args.minutes:g} --rate {args.rate:g}"
        append_summary(f"`{command}`: {'pass' if not broken else 'FAIL: ' + '; '.join(broken)}", summary)


if __name__ == "__main__":
    main()
