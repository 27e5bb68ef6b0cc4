"""Live updates for open console pages: a feed that fans messages out to every listener.

`LiveFeed` is the small interface the rest of the code uses: the outbox handler
`console_push` publishes, each open `/console/events` stream subscribes. `InProcessFeed`
serves one process (the default, `make run`); with several web processes a feed backed by
Redis pub/sub or PostgreSQL LISTEN/NOTIFY implements the same two methods.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Message = dict[str, Any]


class LiveFeed(Protocol):
    async def publish(self, message: Message) -> None: ...

    def subscribe(self) -> AbstractAsyncContextManager[asyncio.Queue[Message]]: ...


class InProcessFeed:
    """Every subscriber has a bounded queue; a listener that stops reading loses the oldest
    messages rather than holding memory or slowing the publisher."""

    def __init__(self, queue_size: int = 200) -> None:
        self.queue_size = queue_size
        self._queues: set[asyncio.Queue[Message]] = set()

    @property
    def listeners(self) -> int:
        return len(self._queues)

    async def publish(self, message: Message) -> None:
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=self.queue_size)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
