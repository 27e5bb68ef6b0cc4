"""The schedule runs in one process at a time, also across a lost database connection."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from dingdan.platform import leader
from dingdan.platform.db import Database


@pytest.fixture
def quick_leader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leader, "RETRY_SECONDS", 0.1)
    monkeypatch.setattr(leader, "CHECK_SECONDS", 0.1)


async def _end_leaders_connection(url: str) -> None:
    """What a database restart does to the leader: its session, and so its lock, ends."""
    admin = Database(url)
    async with admin.write_engine.connect() as conn:
        ended = await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = :low AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"low": leader.LOCK_KEY & 0xFFFFFFFF},
        )
        assert ended.scalars().all() == [True]
        await conn.commit()
    await admin.dispose()


async def test_a_leader_whose_connection_ends_stops_its_work_and_another_process_takes_over(
    db: Database, quick_leader: None
):
    if db.is_sqlite:
        pytest.skip("SQLite runs a single process, which always leads")
    other = Database(db.url)
    running: dict[str, int] = {"a": 0, "b": 0}
    overlap = {"samples": 0}

    def work(name: str):
        async def run() -> None:
            running[name] += 1
            try:
                while True:
                    overlap["samples"] += bool(running["a"] and running["b"])
                    await asyncio.sleep(0.02)
            finally:
                running[name] -= 1

        return run

    first = asyncio.create_task(leader.lead(db, work("a")))
    await asyncio.sleep(0.5)
    second = asyncio.create_task(leader.lead(other, work("b")))
    await asyncio.sleep(0.5)
    assert running == {"a": 1, "b": 0}  # the second waits for the lock

    await _end_leaders_connection(db.url)
    for _ in range(50):
        await asyncio.sleep(0.1)
        if running["b"]:
            break
    assert running == {"a": 0, "b": 1}, "the other process leads; the first stopped its work"

    await _end_leaders_connection(db.url)  # now the second's lock: the first leads again
    for _ in range(50):
        await asyncio.sleep(0.1)
        if running["a"]:
            break
    assert running == {"a": 1, "b": 0}
    for task in (first, second):
        task.cancel()
    await asyncio.gather(first, second, return_exceptions=True)
    await other.dispose()
    # The old leader learns of the loss at its next check: the two may overlap that long.
    assert overlap["samples"] * 0.02 <= 2 * leader.CHECK_SECONDS
