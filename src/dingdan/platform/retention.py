"""Forgetting old rows a bounded batch at a time (webhook receipts and the like)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession


async def delete_oldest(
    session: AsyncSession, table: Table, *, key: tuple[str, ...], stamp: str, before: datetime, limit: int
) -> int:
    """Deletes at most `limit` rows whose `stamp` column is before `before`, oldest first;
    `key` names the columns that identify a row. Returns how many went."""
    key_columns = [table.c[name] for name in key]
    oldest = select(*key_columns).where(table.c[stamp] < before).order_by(table.c[stamp]).limit(limit)
    result = await session.execute(delete(table).where(tuple_(*key_columns).in_(oldest)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
