"""When this process last began serving a request: background work in the same process (the
relay's handlers) yields to requests only while there are requests to yield to."""

from __future__ import annotations

import time

BUSY_WINDOW_SECONDS = 1.0
_last_request = [float("-inf")]


def note_request() -> None:
    _last_request[0] = time.monotonic()


def serving_requests() -> bool:
    """True when a request began within the last second."""
    return time.monotonic() - _last_request[0] < BUSY_WINDOW_SECONDS
