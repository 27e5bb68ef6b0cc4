"""S-INV-6, the write-skew probe (PostgreSQL only: it is about PostgreSQL's isolation levels).

Repeatable Read on PostgreSQL is snapshot isolation. Two transactions that each check a SUM
over reservation rows and then insert one of their own touch no common row, so both commit:
the anomaly the hermitage tests call G2-item (write skew). dingdan does not derive availability
from a SUM; each reserver locks the (sku, warehouse) counter row and updates it with a guarded
UPDATE (inventory/service.py, docs/stock.md), so the two meet on one row. Both ways are run
here, each pair of transactions held by a barrier until both have read one unit available.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from dingdan.inventory import service as inventory
from dingdan.inventory.errors import OutOfStock
from dingdan.inventory.models import Movement, StockLevel
from dingdan.platform import clock
from dingdan.reports.invariants import run_checks
from factories.shop import make_sku, stock_of

# 1,000 repetitions is the scenario's figure (about a minute for the four probes on a small
# machine): `make test-long` runs it, `make test` a fifth of it.
REPETITIONS = [200, pytest.param(1000, marks=pytest.mark.slow)]
REPEATABLE_READ, READ_COMMITTED, SERIALIZABLE = "REPEATABLE READ", "READ COMMITTED", "SERIALIZABLE"
NAIVE = "naive-probe"

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]

Reserver = Callable[[str, asyncio.Barrier], Awaitable[None]]


async def _race(reserve_one: Reserver, repetition: int) -> list[str]:
    """Two reservers of the last unit; each waits at the barrier once it has read."""
    both_read = asyncio.Barrier(2)

    async def attempt(ref: str) -> str:
        try:
            await reserve_one(ref, both_read)
        except OutOfStock:
            return "refused"
        except DBAPIError as exc:
            assert getattr(exc.orig, "sqlstate", None) == "40001", exc
            return "serialization failure"
        return "reserved"

    return list(await asyncio.gather(attempt(f"A{repetition}"), attempt(f"B{repetition}")))


async def _isolation(connection_or_session) -> str:
    return str(await connection_or_session.scalar(text("SHOW transaction_isolation"))).upper()


def _naive_reserver(db, sku: str, warehouse_id: int, isolation: str) -> Reserver:
    """Availability as the SUM of ledger rows; a reservation is one more row. No row is locked
    and no row is updated: this is what a design without a counter row would do."""
    available = select(func.coalesce(func.sum(Movement.delta_on_hand - Movement.delta_reserved), 0))

    async def reserve_one(ref: str, barrier: asyncio.Barrier) -> None:
        async with db.write_engine.connect() as conn:
            await conn.execution_options(isolation_level=isolation)
            async with conn.begin():
                assert await _isolation(conn) == isolation
                left = await conn.scalar(available.where(Movement.sku == sku))
                await barrier.wait()
                if left < 1:
                    raise OutOfStock("none left")
                row = {"sku": sku, "warehouse_id": warehouse_id, "kind": "reserve", "delta_reserved": 1}
                await conn.execute(
                    insert(Movement).values(**row, order_ref=ref, actor=NAIVE, created_at=clock.now())
                )

    return reserve_one


async def _naive_probe(db, isolation: str, repetitions: int) -> Counter[str]:
    sku = await make_sku(db, stock=1)
    async with db.read() as session:
        warehouse_id = await session.scalar(select(StockLevel.warehouse_id).where(StockLevel.sku == sku))
    reserve_one = _naive_reserver(db, sku, warehouse_id, isolation)
    tally: Counter[str] = Counter()
    for repetition in range(repetitions):
        outcomes = await _race(reserve_one, repetition)
        tally.update(outcomes)
        async with db.write_engine.begin() as conn:
            held = await conn.scalar(select(func.sum(Movement.delta_reserved)).where(Movement.actor == NAIVE))
            tally["double reservations"] += int(held or 0) > 1
            await conn.execute(delete(Movement).where(Movement.actor == NAIVE))
    return tally


@pytest.mark.parametrize("repetitions", REPETITIONS)
async def test_s_inv_6_a_sum_check_under_repeatable_read_reserves_the_last_unit_twice(db, repetitions):
    tally = await _naive_probe(db, REPEATABLE_READ, repetitions)
    # Both snapshots say one unit is left and the two inserts never meet: in practice every
    # repetition ends with two reservations of the one unit.
    assert tally["double reservations"] >= 1, tally
    assert tally["serialization failure"] == 0, tally


@pytest.mark.parametrize("repetitions", REPETITIONS)
async def test_s_inv_6_the_same_sum_check_under_serializable_is_caught(db, repetitions):
    """What Repeatable Read lets through, Serializable refuses (SSI): one of the two fails."""
    tally = await _naive_probe(db, SERIALIZABLE, repetitions)
    assert tally["double reservations"] == 0, tally
    assert tally["serialization failure"] >= 1, tally


def _dingdan_reserver(db, sku: str, isolation: str, tally: Counter[str]) -> Reserver:
    """The real path: Database.write (which retries 40001 and 40P01) around inventory.reserve,
    with a read of the level first so the barrier holds both once they have seen the unit."""

    async def reserve_one(ref: str, barrier: asyncio.Barrier) -> None:
        attempts = 0

        async def work(session):
            nonlocal attempts
            attempts += 1
            await session.connection(execution_options={"isolation_level": isolation})
            assert await _isolation(session) == isolation
            if attempts == 1:
                assert (await inventory.get_levels(session, sku=sku)).available == 1
                await barrier.wait()
            return await inventory.reserve(
                session, demand={sku: 1}, order_ref=ref, actor="probe", allow_shortage=False
            )

        try:
            await db.write(work)
        finally:
            tally["retried after a serialization failure"] += attempts - 1

    return reserve_one


@pytest.mark.parametrize("repetitions", REPETITIONS)
@pytest.mark.parametrize("isolation", [REPEATABLE_READ, READ_COMMITTED])
async def test_s_inv_6_the_counter_row_guard_never_reserves_the_last_unit_twice(db, isolation, repetitions):
    sku = await make_sku(db, stock=1)
    tally: Counter[str] = Counter()
    reserve_one = _dingdan_reserver(db, sku, isolation, tally)
    for repetition in range(repetitions):
        outcomes = await _race(reserve_one, repetition)
        tally.update(outcomes)
        tally["double reservations"] += outcomes.count("reserved") > 1
        assert await stock_of(db, sku) == (1, 1, 0), (repetition, outcomes)
        winner = f"{'AB'[outcomes.index('reserved')]}{repetition}"

        async def release(session, ref=winner):
            return await inventory.release(session, order_ref=ref, actor="probe", reason="probe")

        await db.write(release)
    assert tally["double reservations"] == 0, tally
    assert tally["reserved"] == tally["refused"] == repetitions, tally
    if isolation == REPEATABLE_READ:
        # The loser's snapshot predates the winner's commit: locking the row raises 40001 and
        # Database.write runs it again, on a fresh snapshot that sees the unit taken.
        assert tally["retried after a serialization failure"] == repetitions, tally
    else:
        assert tally["retried after a serialization failure"] == 0, tally
    assert await stock_of(db, sku) == (1, 0, 1)
    async with db.read() as session:
        assert [f"{f.check}: {f.examples}" for f in await run_checks(session) if f.count] == []
