"""The in-process relay yields to requests while they come, and goes at full speed after."""

from __future__ import annotations

import asyncio
import time

from dingdan.platform import activity, events
from dingdan.platform.db import Database

HANDLER_SECONDS = 0.2


async def _record(session, event: events.Event) -> None:
    events.record(session, event)


async def _timed_batch(db: Database) -> float:
    async def slow(session, batch):
        await asyncio.sleep(HANDLER_SECONDS)

    subscribers = events.Subscribers()
    subscribers.on_batch("test.paced", "slow", slow)
    relay = events.Relay(db, subscribers)
    await db.write(_record, events.Event("test.paced", "test", "1"))
    began = time.monotonic()
    assert await relay._paced_batch() == 1
    return time.monotonic() - began


async def test_a_relay_batch_is_followed_by_a_pause_only_while_requests_wait_for_their_answer(db: Database):
    idle = await _timed_batch(db)
    activity.request_began()
    try:
        busy = await _timed_batch(db)
    finally:
        activity.request_answered()
    assert idle < 2 * HANDLER_SECONDS  # no pause: nobody to yield to
    assert busy >= 3 * HANDLER_SECONDS * 0.95  # the batch, then twice its time for the requests


async def test_the_pause_ends_when_the_last_waiting_request_is_answered(db: Database):
    activity.request_began()
    answer_soon = asyncio.get_running_loop().call_later(HANDLER_SECONDS / 2, activity.request_answered)
    try:
        took = await _timed_batch(db)
    finally:
        answer_soon.cancel()
    assert HANDLER_SECONDS <= took < 2 * HANDLER_SECONDS  # not the full pause of 0.4 s


async def test_requests_answered_at_once_and_coming_again_keep_the_pause(db: Database):
    """Group commit answers a batch of requests together; under load the next ones begin a few
    milliseconds later. The moments in between must not end the pause."""

    async def closed_loop() -> None:
        while True:
            activity.request_began()
            activity.request_answered()
            await asyncio.sleep(0.01)

    load = asyncio.create_task(closed_loop())
    try:
        took = await _timed_batch(db)
    finally:
        load.cancel()
    assert took >= 3 * HANDLER_SECONDS * 0.95


async def test_every_answered_request_stops_waiting(client):
    for path in ("/health/live", "/nowhere", "/api/v1/orders?status=nonsense"):
        await client.get(path)
    assert not activity.requests_waiting()
