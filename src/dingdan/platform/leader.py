"""One scheduler however many workers run: the holder of a PostgreSQL advisory lock leads.

The lock lives as long as the leader's connection, so a killed leader frees it at once and
another worker takes over within one retry interval. The leader checks its own connection
every `CHECK_SECONDS`: when the database restarted or the network cut it, the lock is gone
(another worker may hold it already), so the work stops at once and the process waits to lead
again. SQLite runs one process: it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from dingdan.platform.db import Database

log = logging.getLogger(__name__)
LOCK_KEY = 4_815_162_342  # any constant shared by every worker of one installation
RETRY_SECONDS = 5.0
CHECK_SECONDS = 1.0
CONNECTION_LOST = (SQLAlchemyError, OSError, asyncio.TimeoutError)
Check = Callable[[], Awaitable[None]]


class LeadershipLost(Exception):
    """The leader's connection, and with it the lock, is gone."""


async def lead(db: Database, work: Callable[[], Awaitable[None]]) -> None:
    """Runs `work` while this process leads; when leadership is lost the work is cancelled and
    started again once this process leads again. Returns when `work` returns."""
    while True:
        try:
            async with leadership(db) as still_leading:
                await _run_watched(work, still_leading)
                return
        except LeadershipLost:
            log.warning("the scheduler lost its database connection and stopped; it leads again when it can")
        except CONNECTION_LOST as exc:
            log.warning("the scheduler cannot reach the database (%s); retrying", type(exc).__name__)
        await asyncio.sleep(RETRY_SECONDS)


@contextlib.asynccontextmanager
async def leadership(db: Database) -> AsyncIterator[Check]:
    """Waits until this process leads, and keeps the lock until the block ends. Yields a check
    that raises `LeadershipLost` when the lock's connection is gone."""
    if db.is_sqlite:
        yield _always_leading
        return
    async with db.write_engine.connect() as conn:
        while not (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})).scalar():
            await conn.rollback()
            await asyncio.sleep(RETRY_SECONDS)
        await conn.commit()
        try:
            yield lambda: _check(conn)
        finally:
            with contextlib.suppress(*CONNECTION_LOST):
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                await conn.commit()


async def _always_leading() -> None:
    return None


async def _check(conn: AsyncConnection) -> None:
    try:
        await asyncio.wait_for(conn.execute(text("SELECT 1")), CHECK_SECONDS * 5)
        await conn.commit()
    except CONNECTION_LOST as exc:
        raise LeadershipLost from exc


async def _run_watched(work: Callable[[], Awaitable[None]], still_leading: Check) -> None:
    task = asyncio.ensure_future(work())
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=CHECK_SECONDS)
            if not task.done():
                await still_leading()
        task.result()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
