"""A FastRead answers exactly what the same statement answers through a session: the same keys,
values and types (money quantized, times in UTC, JSON decoded, literals and IN lists bound)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Interval, bindparam, cast, func, literal, select, update

from dingdan.orders.service import LINES, ORDERS
from dingdan.platform.db import StatementCounter
from dingdan.platform.fastread import FastRead, FastWrite
from dingdan.platform.types import Money
from factories.shipping import place_confirmed_order
from factories.shop import make_sku

LINE_COUNT = select(func.count()).where(LINES.c.order_id == ORDERS.c.id).scalar_subquery()
ORDER_VIEW = (
    select(
        ORDERS.c.id,
        ORDERS.c.number,
        ORDERS.c.total,
        ORDERS.c.created_at,
        ORDERS.c.review_issues,
        ORDERS.c.ship_district,
        LINE_COUNT.label("lines"),
    )
    .where(
        ORDERS.c.number == bindparam("number"),
        ORDERS.c.status.in_(["confirmed", "pending_payment"]),
        ORDERS.c.total > bindparam("at_least", type_=Money()),
        ORDERS.c.created_at < bindparam("before", type_=ORDERS.c.created_at.type),
    )
    .order_by(ORDERS.c.id)
)


async def test_a_fast_read_answers_what_a_session_answers(client, db, login):
    sku = await make_sku(db, price="199.50")
    number = await place_confirmed_order(client, await login("clerk"), (sku, 2))
    params = {"number": number, "at_least": Decimal("10"), "before": datetime(2100, 1, 1, tzinfo=UTC)}
    async with db.read() as session:
        expected = [dict(row) for row in (await session.execute(ORDER_VIEW, params)).mappings()]
    async with db.connection() as connection:
        fast = await FastRead(ORDER_VIEW).rows(connection, params)
    assert fast == expected and len(fast) == 1
    (row,) = fast
    assert row["total"] >= Decimal("399.00") and row["total"].as_tuple().exponent == -2  # cents, exactly
    assert row["created_at"].tzinfo is not None and row["created_at"].utcoffset().total_seconds() == 0
    assert row["lines"] == 1 and isinstance(row["review_issues"], list | dict | type(None))
    assert [type(v) for v in fast[0].values()] == [type(v) for v in expected[0].values()]


async def test_a_fast_read_with_no_rows_and_a_refused_value(client, db, login):
    sku = await make_sku(db)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
    params = {"number": number, "at_least": Decimal("1000000"), "before": datetime(2100, 1, 1, tzinfo=UTC)}
    async with db.connection() as connection:
        assert await FastRead(ORDER_VIEW).rows(connection, params) == []


async def test_statement_counters_see_fast_reads(db):
    statement = select(literal(1).label("one"))
    with StatementCounter(db.read_engine) as counter:
        async with db.connection() as connection:
            assert await FastRead(statement).rows(connection) == [{"one": 1}]
    assert counter.count == 1


async def test_a_type_it_cannot_convert_is_refused_up_front(db):
    if db.is_sqlite:
        pytest.skip("on SQLite a FastRead is an ordinary execute")
    statement = select(cast(literal("1 day"), Interval).label("span"))
    async with db.connection() as connection:
        with pytest.raises(TypeError, match="does not convert"):
            await FastRead(statement).rows(connection)


SET_NOTE_AND_TOTAL = (
    update(ORDERS)
    .where(ORDERS.c.number == bindparam("order_number"), ORDERS.c.status != "cancelled")
    .values(note=bindparam("note"), total=bindparam("new_total"), updated_at=bindparam("at"))
)


async def test_a_fast_write_stores_what_a_session_stores_and_counts_the_rows(client, db, login):
    sku = await make_sku(db, price="100")
    clerk = await login("clerk")
    by_session, by_fast = [await place_confirmed_order(client, clerk, (sku, n)) for n in (1, 2)]
    values = {
        "note": "請下午送達",
        "new_total": Decimal("88.5"),
        "at": datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
    }
    await db.write(
        lambda session: session.execute(SET_NOTE_AND_TOTAL, {"order_number": by_session, **values})
    )
    assert await db.write_alone(FastWrite(SET_NOTE_AND_TOTAL), {"order_number": by_fast, **values}) == 1
    assert (
        await db.write_alone(FastWrite(SET_NOTE_AND_TOTAL), {"order_number": "261207-NONE0000", **values})
        == 0
    )
    stored = select(ORDERS.c.number, ORDERS.c.note, ORDERS.c.total, ORDERS.c.updated_at)
    async with db.read() as session:
        rows = {r.number: r[1:] for r in await session.execute(stored)}
    assert rows[by_fast] == rows[by_session] == ("請下午送達", Decimal("88.50"), values["at"])
