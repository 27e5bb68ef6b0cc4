"""A backup taken while orders are being placed restores into a database that passes every
invariant check."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from dingdan.orders.models import Order
from dingdan.orders.schemas import OrderIn
from dingdan.platform import backup
from dingdan.platform.db import Database
from dingdan.reports.invariants import run_checks
from dingdan.workflows.place_order import Intake, submit_order
from factories.shop import make_sku, order_body


async def test_backup_under_load_restores_clean(db, tmp_path):
    sku = await make_sku(db, stock=500)
    stop = asyncio.Event()
    placed = 0

    async def keep_ordering() -> None:
        nonlocal placed
        while not stop.is_set():
            body = order_body((sku, 1))
            body["customer"]["phone"] = f"09{placed:08d}"
            await submit_order(db, request=OrderIn.model_validate(body), intake=Intake("t", "t"))
            placed += 1

    load = asyncio.create_task(keep_ordering())
    while placed < 5:
        await asyncio.sleep(0.05)
    target = tmp_path / "shop.backup"
    await asyncio.to_thread(backup.backup, db.url, target)
    stop.set()
    await load
    assert target.stat().st_size > 0

    if db.is_sqlite:
        restored_url = f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        admin = Database(db.url)
        async with admin.write_engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("DROP DATABASE IF EXISTS dingdan_restore_check WITH (FORCE)"))
            await conn.execute(text("CREATE DATABASE dingdan_restore_check"))
        await admin.dispose()
        restored_url = db.url.rsplit("/", 1)[0] + "/dingdan_restore_check"
    await asyncio.to_thread(backup.restore, restored_url, target)
    assert backup.integrity_ok(restored_url)
    restored = Database(restored_url)
    try:
        async with restored.read() as session:
            findings = await run_checks(session)
            count = await session.scalar(select(func.count()).select_from(Order))
    finally:
        await restored.dispose()
    assert all(f.count == 0 for f in findings), [f for f in findings if f.count]
    assert 0 < count <= placed
