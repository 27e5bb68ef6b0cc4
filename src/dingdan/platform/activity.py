"""Whether this process is busy with requests: background work in the same process (the relay's
handlers) yields to requests only while there are requests to yield to."""

from __future__ import annotations

import asyncio
import time

YIELD_SLICE_SECONDS = 0.01
# Under load a request begins every few milliseconds, while group commit answers a batch of
# them at once: between the answers and the next requests none waits for a moment.
QUIET_SECONDS = 0.05
_waiting = [0]
_last_began = [float("-inf")]


def request_began() -> None:
    _waiting[0] += 1
    _last_began[0] = time.monotonic()


def request_answered() -> None:
    """Once per request, when its answer starts: a stream (a console's live updates, an export)
    then waits for nothing, however long it stays open."""
    _waiting[0] -= 1


def requests_waiting() -> bool:
    return _waiting[0] > 0


def busy() -> bool:
    """True while a request waits for its answer, or one began within QUIET_SECONDS."""
    return requests_waiting() or time.monotonic() - _last_began[0] < QUIET_SECONDS


async def yield_to_requests(seconds: float) -> None:
    """Pause for up to `seconds` while the process is busy; return once it is quiet, so that
    work nobody competes with is not held back."""
    until = time.monotonic() + seconds
    while busy() and (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(YIELD_SLICE_SECONDS, left))
