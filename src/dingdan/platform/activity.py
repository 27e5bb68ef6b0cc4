"""How many requests of this process are waiting for their answer: background work in the same
process (the relay's handlers) yields to requests only while there are requests to yield to."""

from __future__ import annotations

import asyncio
import time

YIELD_SLICE_SECONDS = 0.01
_waiting = [0]


def request_began() -> None:
    _waiting[0] += 1


def request_answered() -> None:
    """Once per request, when its answer starts: a stream (a console's live updates, an export)
    then waits for nothing, however long it stays open."""
    _waiting[0] -= 1


def requests_waiting() -> bool:
    return _waiting[0] > 0


async def yield_to_requests(seconds: float) -> None:
    """Pause for up to `seconds` while requests are waiting for their answer; return as soon as
    none is, so that work nobody competes with is not held back."""
    until = time.monotonic() + seconds
    while requests_waiting() and (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(YIELD_SLICE_SECONDS, left))
