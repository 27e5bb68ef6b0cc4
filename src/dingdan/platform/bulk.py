"""Loading many rows at once: PostgreSQL's binary COPY, or executemany on SQLite.

For bulk loads (demo data at scale, rollup rebuilds), where a multi-row INSERT per batch costs
far more than the database's own loading path. Rows are dicts keyed by column name; values go
through the columns' types (Money, UtcDateTime, JSON) as they would in an INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import JSON, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession


async def copy_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` into `table` in the session's transaction."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(insert(table), list(rows))
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    dialect = session.get_bind().dialect
    values_by_column = []
    for column in columns:
        values = [row[column.name] for row in rows]
        if isinstance(column.type, JSON):
            values = [None if v is None else orjson.dumps(v).decode() for v in values]
        elif not _native(values) and (processor := column.type.bind_processor(dialect)) is not None:
            values = [None if v is None else processor(v) for v in values]
        values_by_column.append(values)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(
        table.name, records=list(zip(*values_by_column, strict=True)), columns=[c.name for c in columns]
    )


def _native(values: list[Any]) -> bool:
    """True when the driver takes the values as they are (aware datetimes, Decimals, str, int),
    which spares a Python call per value on large loads."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, datetime):
        return sample.tzinfo is not None
    return isinstance(sample, Decimal | str | int | date | bool) or sample is None


async def reserve_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    """`count` fresh values of the table's id sequence (PostgreSQL), for rows copied with ids."""
    sequence = func.pg_get_serial_sequence(table.name, "id")
    stmt = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return list((await session.execute(stmt)).scalars())


async def analyze(session: AsyncSession, tables: Sequence[Table]) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL; SQLite: ANALYZE)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("ANALYZE " + ", ".join(t.name for t in tables)))
    else:
        await session.execute(text("ANALYZE"))
