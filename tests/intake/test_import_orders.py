"""Bulk import: every good row imported, every bad row reported by row and column, and a
re-import (also of an interrupted run) creates nothing twice."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from dingdan.orders.models import Order, OrderLine
from dingdan.workflows.import_orders import import_orders
from factories.shop import make_sku, stock_of
from intake.conftest import csv_file, make_channel, order_rows

LINES_PER_ORDER = 10
SKUS = [f"IMP-{n:02d}" for n in range(LINES_PER_ORDER)]


async def count(db, model=Order) -> int:
    async with db.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def catalog(db, stock: int = 100_000) -> None:
    for sku in SKUS:
        await make_sku(db, sku=sku, stock=stock, price="120")


def ten_thousand_rows() -> tuple[bytes, dict[int, str]]:
    """1,000 orders of 10 lines; five rows are bad in five different ways."""
    rows = [row for n in range(1000) for row in order_rows(f"A{n:04d}", SKUS)]
    bad = {
        12: ("quantity", "兩個"),
        2_345: ("payment_method", "刷卡機"),
        5_000: ("quantity", "0"),
        7_777: ("sku", "NO-SUCH-SKU"),
        9_999: ("customer_email", "not-an-email"),
    }
    expected = {}
    for index, (column, value) in bad.items():
        rows[index][column] = value
        expected[index + 2] = column  # header is row 1, so list index i is sheet row i + 2
    return csv_file(rows), expected


async def test_10000_rows_with_a_few_bad_ones(db):
    await catalog(db)
    await make_channel(db, "bulk", "import")
    data, bad_rows = ten_thousand_rows()
    seen: list[tuple[str, int, int]] = []
    report = await import_orders(
        db, lambda: io.BytesIO(data), "csv", channel="bulk", dry_run=False, actor="test",
        progress=lambda phase, done, total: seen.append((phase, done, total)),
    )  # fmt: skip
    assert report.rows_total == 10_000
    assert report.imported == 995 and report.orders_total == 995
    assert await count(db) == 995 and await count(db, OrderLine) == 9_950
    labels = {"quantity": "數量", "payment_method": "付款方式", "sku": "商品編號",
              "customer_email": "電子郵件"}  # fmt: skip
    reported = {(e.row, e.column) for e in report.errors if e.code != "order_not_imported"}
    assert reported == {(row, labels[column]) for row, column in bad_rows.items()}
    assert report.rows_rejected == 5 * LINES_PER_ORDER  # each bad order's other rows say why
    assert seen[-1] == ("placing", 995, 995)
    assert await stock_of(db, SKUS[0]) == (100_000, 995, 99_005)

    again = await import_orders(
        db, lambda: io.BytesIO(data), "csv", channel="bulk", dry_run=False, actor="test"
    )
    assert (again.imported, again.already_present) == (0, 995)
    assert await count(db) == 995


async def test_a_dry_run_reports_and_writes_nothing(db):
    await catalog(db)
    rows = order_rows("D1", SKUS[:2]) + order_rows("D2", ["GHOST"]) + order_rows("D3", SKUS[:1])
    report = await import_orders(
        db, lambda: io.BytesIO(csv_file(rows)), "csv", channel="manual", dry_run=True, actor="test"
    )
    assert (report.orders_total, report.to_import, report.imported) == (2, 2, 0)
    assert [(e.row, e.code) for e in report.errors] == [(4, "unknown_sku")]
    assert [p["order_ref"] for p in report.preview] == ["D1", "D3"]
    assert await count(db) == 0
    assert await stock_of(db, SKUS[0]) == (100_000, 0, 100_000)


async def test_an_interrupted_import_finishes_without_duplicates(db):
    await catalog(db)
    rows = [row for n in range(30) for row in order_rows(f"I{n:02d}", SKUS[:2])]
    data = csv_file(rows)

    def stop_after_first_batch(phase: str, done: int, total: int) -> None:
        if phase == "placing" and done >= 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await import_orders(
            db, lambda: io.BytesIO(data), "csv", channel="manual", dry_run=False, actor="test",
            progress=stop_after_first_batch, batch_size=10,
        )  # fmt: skip
    assert await count(db) == 10
    rerun = await import_orders(
        db, lambda: io.BytesIO(data), "csv", channel="manual", dry_run=False, actor="test"
    )
    assert (rerun.imported, rerun.already_present) == (20, 10)
    assert await count(db) == 30


async def test_out_of_stock_on_a_reject_channel_refuses_that_order_only(db):
    await catalog(db, stock=1)
    rows = order_rows("S1", SKUS[:1]) + order_rows("S2", SKUS[:1]) + order_rows("S3", SKUS[1:2])
    report = await import_orders(
        db, lambda: io.BytesIO(csv_file(rows)), "csv", channel="manual", dry_run=False, actor="test"
    )
    assert report.imported == 2
    assert [(e.row, e.code) for e in report.errors] == [(3, "out-of-stock")]
    assert await count(db) == 2
