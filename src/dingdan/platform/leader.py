"""One scheduler however many workers run: the holder of a PostgreSQL advisory lock leads.

The lock lives as long as the leader's connection, so a killed leader frees it at once and
another worker takes over within one retry interval. SQLite runs one process: it always leads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from dingdan.platform.db import Database

LOCK_KEY = 4_815_162_342  # any constant shared by every worker of one installation
RETRY_SECONDS = 5.0


@asynccontextmanager
async def leadership(db: Database) -> AsyncIterator[None]:
    """Waits until this process leads, and keeps leading until the block ends."""
    if db.is_sqlite:
        yield
        return
    async with db.write_engine.connect() as conn:
        while not (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})).scalar():
            await conn.rollback()
            await asyncio.sleep(RETRY_SECONDS)
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            await conn.commit()
