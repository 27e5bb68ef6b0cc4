"""S-INV-5 and S-INV-8: two reservers of the last unit, interleaved on purpose; and the CHECK
constraint as the backstop when a guard is bypassed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from dingdan.inventory import service as inventory
from dingdan.inventory import sql
from dingdan.inventory.errors import OutOfStock
from dingdan.inventory.models import StockLevel
from factories.shop import make_sku, stock_of


async def _two_reservers(db, reserve_one) -> list[str]:
    """Both transactions read before either writes (a barrier between read and write)."""
    both_read = asyncio.Barrier(2) if db.is_sqlite is False else None
    outcomes: list[str] = []

    async def attempt(ref: str) -> None:
        try:
            await reserve_one(ref, both_read)
            outcomes.append("reserved")
        except OutOfStock:
            outcomes.append("refused")

    await asyncio.gather(attempt("A"), attempt("B"))
    return outcomes


async def test_s_inv_5_last_unit_goes_to_exactly_one_of_two_racing_reservers(db):
    sku = await make_sku(db, stock=1)

    async def reserve_one(ref, barrier):
        async def work(session):
            return await inventory.reserve(session, demand={sku: 1}, order_ref=ref, actor="t", allow_shortage=False)

        await db.write(work)

    outcomes = await _two_reservers(db, reserve_one)
    assert sorted(outcomes) == ["refused", "reserved"]
    assert await stock_of(db, sku) == (1, 1, 0)


async def test_s_inv_5_a_read_then_write_reservation_loses_an_update(db):
    """The same race against a deliberately naive implementation shows the test bites."""
    if db.is_sqlite:
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE: the naive race cannot interleave")
    sku = await make_sku(db, stock=1)

    async def naive(ref, barrier):
        async with db.write_engine.connect() as conn, conn.begin():
            level = (await conn.execute(select(StockLevel.reserved, StockLevel.on_hand).where(StockLevel.sku == sku))).one()
            await barrier.wait()
            if level.on_hand - level.reserved < 1:
                raise OutOfStock("none left")
            await conn.execute(update(StockLevel).where(StockLevel.sku == sku).values(reserved=level.reserved + 1))

    outcomes = await _two_reservers(db, naive)
    assert outcomes == ["reserved", "reserved"]  # both "won" one unit …
    assert await stock_of(db, sku) == (1, 1, 0)  # … but only one is recorded: a lost update


async def test_s_inv_8_a_write_that_breaks_the_check_constraint_is_a_409_and_writes_nothing(client, db, login, monkeypatch):
    sku = await make_sku(db, stock=5)
    unguarded = {
        name: type(statement)(statement.text.split("WHERE")[0] + "WHERE s.sku = v.sku AND s.warehouse_id = v.warehouse_id")
        for name, statement in sql.APPLY_DELTAS.items()
    }
    monkeypatch.setattr(sql, "APPLY_DELTAS", unguarded)
    answer = await client.post(f"/api/v1/inventory/{sku}/adjustments", json={"delta": -9, "reason": "盤損"},
                               headers=await login("warehouse"))
    assert answer.status_code == 409
    assert answer.json()["type"] == "/problems/constraint-violation"
    assert "SQL" not in answer.text and "inventory_stock_level" not in answer.text
    assert await stock_of(db, sku) == (5, 0, 5)
