"""Benchmark: import a generated CSV of order rows into a fresh database and time it.

    python bench/import_orders.py --rows 100000            # SQLite file in a temp folder
    python bench/import_orders.py --rows 100000 --database-url postgresql+asyncpg://…/bench

Orders have 1 to 3 lines (two on average), spread over 200 SKUs with enough stock, and every
order has its own phone number; about one row in a thousand is bad and must be reported.
Prints the time of the check pass (a dry run) and of the real import, and re-imports the file
to show it creates nothing new.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dingdan.catalog.schemas import ProductIn
from dingdan.channels import service as channels
from dingdan.channels.import_template import COLUMNS
from dingdan.inventory import service as inventory
from dingdan.platform.db import Database
from dingdan.tables import metadata
from dingdan.workflows.import_orders import import_orders
from dingdan.workflows.manage_catalog import create_product

SKUS = 200


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([column.label for column in COLUMNS])
        written, order = 0, 0
        while written < rows:
            order += 1
            for line in range(min(1 + order % 3, rows - written)):
                writer.writerow(_row(order, line, bad=(written + 1) % 1000 == 0))
                written += 1


def _row(order: int, line: int, *, bad: bool) -> list[str]:
    values: dict[str, str] = {
        "order_ref": f"B{order:07d}",
        "customer_name": f"顧客{order}",
        "recipient": f"收件人{order}",
        "recipient_phone": f"09{order:08d}",
        "county": "台北市",
        "district": "中正區",
        "postal_code": "100",
        "address_line1": f"範例路{order % 500 + 1}號",
        "sku": f"BENCH-{(order * 7 + line) % SKUS:03d}",
        "quantity": "abc" if bad else str(1 + line),
        "payment_method": "貨到付款",
    }
    return [values.get(column.name, "") for column in COLUMNS]


async def prepare(db: Database) -> None:
    if db.is_sqlite:
        async with db.write_engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def seed(session: Any) -> None:
        await channels.ensure_seed_channels(session)
        await inventory.ensure_default_warehouse(session)
        await channels.create_channel(
            session, code="bulk", name="Bulk", type="import", stock_policy="backorder", auto_confirm=True
        )
        for n in range(SKUS):
            sku = f"BENCH-{n:03d}"
            product = {"name": f"商品 {sku}", "category": "bench", "variants": [{"sku": sku, "price": "100"}]}
            await create_product(session, data=ProductIn.model_validate(product))
            await inventory.adjust(session, sku=sku, delta=10_000_000, reason="bench", actor="bench")

    await db.write(seed)


async def main(rows: int, url: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="dingdan-bench-"))
    db = Database(url or f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
    await prepare(db)
    path = folder / "orders.csv"
    write_csv(path, rows)
    print(f"{rows} rows, {path.stat().st_size / 1e6:.1f} MB, database {db.dialect}")
    for label, dry_run in (("dry run", True), ("import", False), ("re-import", False)):
        started = time.perf_counter()
        report = await import_orders(
            db, lambda: str(path), "csv", channel="bulk", dry_run=dry_run, actor="bench"
        )
        seconds = time.perf_counter() - started
        print(
            f"{label:9}: {seconds:7.1f} s  {rows / seconds:8.0f} rows/s  "
            f"orders {report.orders_total}, imported {report.imported}, "
            f"already {report.already_present}, rejected rows {report.rows_rejected}"
        )
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.database_url))
