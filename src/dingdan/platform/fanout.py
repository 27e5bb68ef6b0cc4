"""Live-update fan-out across processes through Redis pub/sub.

A handler in any process (an API process or a worker) publishes a small JSON message; every
API process forwards what it hears to its own open console streams. Set DINGDAN_REDIS_URL to
use it; without it, a single process publishes straight to its own listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis import asyncio as aioredis

CHANNEL = "dingdan:live"
log = logging.getLogger(__name__)
Message = dict[str, Any]


class RedisFanout:
    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self.redis = aioredis.from_url(url)
        self.channel = channel
        self._task: asyncio.Task[None] | None = None

    async def publish(self, message: Message) -> None:
        await self.redis.publish(self.channel, json.dumps(message, ensure_ascii=False, default=str))

    def start_forwarding(self, deliver: Callable[[Message], Awaitable[None]]) -> None:
        self._task = asyncio.create_task(self._forward(deliver))

    async def _forward(self, deliver: Callable[[Message], Awaitable[None]]) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for item in pubsub.listen():
                        if item.get("type") == "message":
                            await deliver(json.loads(item["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: live updates pause, then resume
                log.warning("live fan-out lost Redis; retrying", exc_info=True)
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.aclose()
