"""Several relays on one PostgreSQL (one per API process) share the outbox without waiting on
each other, and a drain waits for what another relay holds."""

from __future__ import annotations

import asyncio

import pytest

from dingdan.platform import events
from dingdan.platform.db import Database


async def _record_many(session, count: int) -> None:
    for n in range(count):
        events.record(session, events.Event("test.shared", "test", str(n)))


def _held_by_the_first_batch() -> tuple[events.Subscribers, asyncio.Event, asyncio.Event, list[int]]:
    entered, release, handled = asyncio.Event(), asyncio.Event(), []

    async def handler(session, batch) -> None:
        handled.extend(int(e.aggregate_id) for e in batch)
        if not entered.is_set():
            entered.set()
            await release.wait()

    subscribers = events.Subscribers()
    subscribers.on_batch("test.shared", "holder", handler)
    return subscribers, entered, release, handled


async def test_a_second_relay_takes_the_next_batch_while_the_first_is_busy(db: Database):
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: one process, one relay")
    subscribers, entered, release, handled = _held_by_the_first_batch()
    await db.write(_record_many, 10)
    first, second = events.Relay(db, subscribers, batch_size=5), events.Relay(db, subscribers, batch_size=5)
    busy = asyncio.create_task(first.deliver_batch())
    await asyncio.wait_for(entered.wait(), timeout=5)
    assert await asyncio.wait_for(second.deliver_batch(), timeout=5) == 5  # not waiting for the first
    release.set()
    assert await busy == 5
    assert sorted(handled) == list(range(10))  # every event once, each by one relay


async def test_a_drain_returns_only_once_the_batch_another_relay_holds_is_delivered(db: Database):
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: one process, one relay")
    subscribers, entered, release, handled = _held_by_the_first_batch()
    await db.write(_record_many, 3)
    first, second = events.Relay(db, subscribers), events.Relay(db, subscribers)
    busy = asyncio.create_task(first.deliver_batch())
    await asyncio.wait_for(entered.wait(), timeout=5)
    drain = asyncio.create_task(second.drain())
    await asyncio.sleep(0.2)
    assert not drain.done()  # the events are claimed but not yet delivered
    release.set()
    assert await asyncio.wait_for(drain, timeout=5) == 0 and await busy == 3
    assert sorted(handled) == [0, 1, 2]
