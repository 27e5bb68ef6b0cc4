"""S-IDEM-10: a file of one order per row imported twice creates nothing the second time; the
`dingdan import` command killed with SIGKILL at a random moment and run again ends with every
order exactly once; bad rows are reported by row and field while the good rows go in."""

from __future__ import annotations

import asyncio
import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from ops.cluster import dingdan_check
from sqlalchemy import func, select

from dingdan.orders.models import Order
from dingdan.platform.db import Database
from dingdan.reports.invariants import run_checks
from dingdan.workflows.import_jobs import wait_for_jobs
from dingdan.workflows.import_orders import BATCH_SIZE, ImportReport, import_orders
from factories.shop import make_sku, stock_of
from intake.conftest import csv_file, make_channel, order_rows

SKUS = [f"IDEM-{n}" for n in range(10)]
CHANNEL = "bulk"
ROWS = int(os.environ.get("DINGDAN_S_IDEM_10_ROWS", "10000"))  # the scenario's size fits in CI


async def shop(db: Database, *, stock: int = 10_000) -> None:
    for sku in SKUS:
        await make_sku(db, sku=sku, stock=stock, price="120")
    await make_channel(db, CHANNEL, "import")


def one_order_per_row(count: int) -> bytes:
    return csv_file([row for n in range(count) for row in order_rows(f"R{n:05d}", [SKUS[n % len(SKUS)]])])


async def orders_and_distinct_keys(db: Database) -> tuple[int, int]:
    async with db.read() as session:
        counted = await session.execute(
            select(func.count(), func.count(func.distinct(Order.external_id))).where(
                Order.channel_code == CHANNEL
            )
        )
    orders, keys = counted.one()
    return int(orders), int(keys)


async def audit_findings(db: Database) -> list[str]:
    async with db.read() as session:
        return [f"{f.check}: {f.examples[:3]}" for f in await run_checks(session) if f.count]


async def test_s_idem_10_a_file_imported_twice_creates_no_order_the_second_time(db):
    rows = ROWS
    await shop(db)
    data = one_order_per_row(rows)

    async def run() -> ImportReport:
        return await import_orders(
            db, lambda: io.BytesIO(data), "csv", channel=CHANNEL, dry_run=False, actor="test"
        )

    first = await run()
    assert (first.imported, first.already_present, first.errors) == (rows, 0, [])
    reserved_after_first = await stock_of(db, SKUS[0])
    second = await run()
    assert (second.imported, second.already_present, second.errors) == (0, rows, [])
    assert await orders_and_distinct_keys(db) == (rows, rows)
    assert await stock_of(db, SKUS[0]) == reserved_after_first  # nothing reserved twice
    assert await audit_findings(db) == []


# The command killed and run again ------------------------------------------------------------


def cli_env(db: Database) -> dict[str, str]:
    return {**os.environ, "DINGDAN_DATABASE_URL": db.url}


def start_import(db: Database, path: Path, *, output: int = subprocess.PIPE) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "dingdan.cli", "import", str(path), "--channel", CHANNEL]
    return subprocess.Popen(command, env=cli_env(db), stdout=output, stderr=output, text=True)


async def kill_when_placed(db: Database, process: subprocess.Popen[str], target: int) -> int:
    """SIGKILL the import once at least `target` orders are in (0: while it is still
    checking); returns how many orders the killed run left behind."""
    while process.poll() is None and (await orders_and_distinct_keys(db))[0] < target:
        await asyncio.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return (await orders_and_distinct_keys(db))[0]


async def test_s_idem_10_an_import_killed_at_a_random_moment_and_run_again_imports_each_order_once(
    db, tmp_path
):
    rows = ROWS
    await shop(db)
    path = tmp_path / "orders.csv"
    path.write_bytes(one_order_per_row(rows))
    # 0 kills it while it checks the file; the last batch is left out, as it would finish the import
    target = random.randrange(0, rows - BATCH_SIZE)
    left_behind = await kill_when_placed(db, start_import(db, path, output=subprocess.DEVNULL), target)
    assert left_behind < rows, "the import finished before it was killed"

    started = time.monotonic()
    rerun = start_import(db, path)
    out, err = await asyncio.to_thread(rerun.communicate, timeout=900)
    assert rerun.returncode == 0, err[-2000:]
    assert f"imported {rows - left_behind} orders; already imported {left_behind};" in out, (out, target)
    assert await orders_and_distinct_keys(db) == (rows, rows)
    assert dingdan_check(cli_env(db)) == "ok"
    print(
        f"killed at {left_behind} of {rows} orders (target {target}); rerun {time.monotonic() - started:.1f} s"
    )


# Bad rows ------------------------------------------------------------------------------------

GOOD_ORDERS = 200
BAD = {  # order index: (column, value, field reported, code)
    3: ("quantity", "兩個", "quantity", "not_a_whole_number"),
    17: ("quantity", "0", "quantity", "not_positive"),
    42: ("payment_method", "刷卡機", "payment_method", "unknown_payment_method"),
    77: ("sku", "NO-SUCH-SKU", "sku", "unknown_sku"),
    101: ("customer_email", "not-an-email", "customer_email", "not_an_email"),
    120: ("recipient_phone", "0900000000", "recipient_phone", "differs_in_order"),
    150: ("sku", "", "sku", "required"),
    199: ("unit_price", "-5", "unit_price", "not_an_amount"),
}


def file_with_bad_rows() -> tuple[bytes, dict[int, tuple[str, str]]]:
    """GOOD_ORDERS + len(BAD) orders of two rows each; in each bad order, its second row has
    the bad value. Returns the file and {sheet row: (field, code)}."""
    rows = []
    expected = {}
    for n in range(GOOD_ORDERS + len(BAD)):
        lines = order_rows(f"B{n:04d}", SKUS[:2])
        if n in BAD:
            column, value, field, code = BAD[n]
            lines[1][column] = value
            expected[len(rows) + 3] = (field, code)  # header is row 1; the order's 2nd row
        rows.extend(lines)
    return csv_file(rows), expected


async def test_s_idem_10_bad_rows_are_reported_by_row_and_field_and_the_good_rows_imported(client, db, login):
    await shop(db)
    data, expected = file_with_bad_rows()
    clerk = await login("clerk")

    async def upload() -> dict:
        files = {"file": ("orders.csv", data, "text/csv")}
        started = await client.post("/api/v1/imports", files=files, data={"channel": CHANNEL}, headers=clerk)
        assert started.status_code == 202, started.text
        await wait_for_jobs()
        return (await client.get(started.headers["location"], headers=clerk)).json()

    job = await upload()
    assert job["status"] == "done", job
    problems = {e["row"]: (e["field"], e["code"]) for e in job["errors"] if e["code"] != "order_not_imported"}
    assert problems == expected
    assert all(e["column"] and e["message"] and e["order_ref"] for e in job["errors"] if e["row"] in expected)
    notices = {e["row"] for e in job["errors"] if e["code"] == "order_not_imported"}
    assert notices == {row - 1 for row in expected}  # each bad order's good row says why
    assert (job["imported"], job["rows_rejected"]) == (GOOD_ORDERS, 2 * len(BAD))
    assert await orders_and_distinct_keys(db) == (GOOD_ORDERS, GOOD_ORDERS)
    assert await stock_of(db, SKUS[1]) == (10_000, GOOD_ORDERS, 10_000 - GOOD_ORDERS)

    again = await upload()
    assert (again["imported"], again["already_present"], again["errors"]) == (0, GOOD_ORDERS, job["errors"])
    assert await orders_and_distinct_keys(db) == (GOOD_ORDERS, GOOD_ORDERS)
    assert await audit_findings(db) == []
