"""A BatchInsert stores what an ordinary INSERT of the same rows stores (money, UTC times, JSON
including JSON null, Python-side defaults), in one statement whatever the number of rows, inside
the session's transaction, with SQLAlchemy's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import DBAPIError

from dingdan.platform.batchinsert import BatchInsert
from dingdan.platform.db import Database, StatementCounter
from dingdan.platform.types import BigId, Money, UtcDateTime

SAMPLE = Table(
    "test_batch_insert_sample",
    MetaData(),
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(20), unique=True),
    Column("amount", Money),
    Column("at", UtcDateTime),
    Column("doc", JSON, nullable=True),
    Column("note", Text, default=""),
    Column("tries", Integer, default=0),
    Column("flag", Boolean, nullable=True),
    Column("batch", Integer, default=count(1).__next__),
)
TAIPEI = timezone(timedelta(hours=8))


@pytest.fixture
async def sample(db: Database) -> AsyncIterator[Table]:
    async with db.write_engine.begin() as connection:
        await connection.run_sync(SAMPLE.drop, checkfirst=True)
        await connection.run_sync(SAMPLE.create)
    yield SAMPLE
    async with db.write_engine.begin() as connection:
        await connection.run_sync(SAMPLE.drop)


def rows(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "code": f"{prefix}{n}",
            "amount": Decimal("199.5") if n % 2 else Decimal("0.10"),
            "at": datetime(2026, 12, 7, 9, n % 60, tzinfo=TAIPEI),
            "doc": None if n % 3 == 0 else {"n": n, "名": "訂單", "list": [1, 2]},
            "flag": None if n % 4 == 0 else n % 2 == 0,
        }
        for n in range(count)
    ]


async def stored(db: Database, table: Table, prefix: str) -> list[dict[str, Any]]:
    async with db.read() as session:
        found = await session.execute(
            select(table).where(table.c.code.startswith(prefix)).order_by(table.c.id)
        )
        return [
            {k: v for k, v in row.items() if k not in ("id", "code", "batch")} for row in found.mappings()
        ]


async def test_the_rows_stored_are_those_an_ordinary_insert_stores(db, sample):
    async def write_both(session: Any) -> None:
        await BatchInsert(sample).run(session, rows("b", 12))
        await session.execute(insert(sample), rows("o", 12))

    await db.write(write_both)
    batch, ordinary = await stored(db, sample, "b"), await stored(db, sample, "o")
    assert batch == ordinary and len(batch) == 12
    assert [[type(v) for v in row.values()] for row in batch] == [
        [type(v) for v in r.values()] for r in ordinary
    ]
    first, second = batch[0], batch[1]
    assert first["doc"] is None and first["note"] == "" and first["tries"] == 0  # JSON null; defaults
    assert second["amount"] == Decimal("199.50") and second["at"] == datetime(2026, 12, 7, 1, 1, tzinfo=UTC)
    assert second["doc"] == {"n": 1, "名": "訂單", "list": [1, 2]}
    # JSON null, as an ordinary insert stores it, not SQL NULL
    assert await sql_nulls(db, sample, "b") == await sql_nulls(db, sample, "o") == set()


async def sql_nulls(db: Database, table: Table, prefix: str) -> set[str]:
    async with db.read() as session:
        found = await session.scalars(
            select(table.c.code).where(table.c.code.startswith(prefix), table.c.doc.is_(None))
        )
        return {code[len(prefix) :] for code in found}


async def test_a_callable_default_is_asked_again_for_each_batch(db, sample):
    statement = BatchInsert(sample)
    await db.write(statement.run, rows("d", 2))
    await db.write(statement.run, rows("e", 2))
    async with db.read() as session:
        asked = {
            prefix: set(await session.scalars(select(sample.c.batch).where(sample.c.code.startswith(prefix))))
            for prefix in ("d", "e")
        }
    assert asked["d"] and asked["e"] and not asked["d"] & asked["e"]  # not frozen at the first batch


async def test_any_number_of_rows_is_one_statement(db, sample):
    with StatementCounter(db.write_engine) as counter:
        await db.write(BatchInsert(sample).run, rows("m", 250))
    assert counter.count == 1
    assert len(await stored(db, sample, "m")) == 250


async def test_returning_answers_for_the_rows_inserted_and_conflicts_are_left_out(db, sample):
    statement = BatchInsert(sample, returning=("code", "amount"), skip_conflicts=True)
    await db.write(statement.run, rows("c", 2))
    answered = await db.write(statement.run, rows("c", 4))
    assert sorted(tuple(row) for row in answered) == [("c2", Decimal("0.10")), ("c3", Decimal("199.50"))]
    assert len(await stored(db, sample, "c")) == 4


async def test_the_rows_go_when_the_transaction_rolls_back(db, sample):
    async def insert_then_fail(session: Any) -> None:
        await BatchInsert(sample).run(session, rows("r", 3))
        raise RuntimeError("refused after the insert")

    with pytest.raises(RuntimeError):
        await db.write(insert_then_fail)
    assert await stored(db, sample, "r") == []


async def test_a_value_the_database_refuses_is_sqlalchemys_error_and_nothing_is_stored(db, sample):
    if db.is_sqlite:
        pytest.skip("SQLite stores a NUL character")
    refused = [*rows("n", 2), {**rows("n", 3)[2], "note": "a\x00b"}]
    with pytest.raises(DBAPIError) as caught:
        await db.write(BatchInsert(sample).run, refused)
    assert getattr(caught.value.orig, "sqlstate", None) == "22021"
    assert await stored(db, sample, "n") == []


COUNTERS = Table(
    "test_batch_insert_counters",
    MetaData(),
    Column("day", String(10), primary_key=True),
    Column("sku", String(20), primary_key=True),
    Column("amount", Money),
    Column("orders", Integer),
)


async def test_a_counter_row_whose_key_exists_adds_to_it(db):
    async with db.write_engine.begin() as connection:
        await connection.run_sync(COUNTERS.drop, checkfirst=True)
        await connection.run_sync(COUNTERS.create)
    counters = BatchInsert(COUNTERS, add_on_conflict=("day", "sku"))
    await db.write(counters.run, [counter("12-07", "TEA", "10.5", 1), counter("12-07", "CUP", "1", 2)])
    await db.write(counters.run, [counter("12-07", "CUP", "2.25", 3), counter("12-08", "CUP", "4", 1)])
    async with db.read() as session:
        found = {(r.day, r.sku): (r.amount, r.orders) for r in await session.execute(select(COUNTERS))}
    assert found == {
        ("12-07", "TEA"): (Decimal("10.50"), 1),
        ("12-07", "CUP"): (Decimal("3.25"), 5),
        ("12-08", "CUP"): (Decimal("4.00"), 1),
    }


def counter(day: str, sku: str, amount: str, orders: int) -> dict[str, Any]:
    return {"day": day, "sku": sku, "amount": Decimal(amount), "orders": orders}


def test_only_a_table_of_counters_may_add_on_conflict():
    with pytest.raises(TypeError, match="all must be numbers"):
        BatchInsert(SAMPLE, add_on_conflict=("code",))
