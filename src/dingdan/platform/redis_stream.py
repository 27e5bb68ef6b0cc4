"""The Redis broker: a stream read by one consumer group, so that a message stays in Redis until a
worker acknowledges it after its handlers committed. (A Redis list hands a message over when a
worker pops it: one in flight to a worker that died, or at the instant a connection broke, was
lost.)

- Each worker process reads as a consumer of its own (host, pid and a random suffix), one message
  a read and only when one of its handlers is free, so it holds no more than it is handling.
- A message that a consumer took and has not acknowledged for `reclaim_seconds` (its worker died,
  or lost Redis before acknowledging) is claimed by another worker and handled again; handlers
  skip the events they already handled, their (handler, event) claim being in their transaction.
- A message is deleted in the transaction that acknowledges it, so the stream holds only
  messages not yet handled: it is as long as the backlog, like a RabbitMQ queue. No other
  consumer group may read the stream.
- A consumer is forgotten when its worker stops, and when another worker reclaimed its messages,
  once it holds nothing, so that the group does not collect every worker ever started.
- While Redis is away a worker tries again every second (the library's loop would spin thousands
  of times a second); a group that Redis lost with its data is made again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker

READ_BLOCK_MS = 2000
SOCKET_TIMEOUT_SECONDS = 10.0  # longer than a blocking read: a network path gone silent ends too
RECLAIM_PASS_SECONDS = 1.0  # how often a reading worker looks for messages of dead consumers
RETRY_SECONDS = 1.0
REDIS_AWAY = (RedisConnectionError, RedisTimeoutError)
# In one step, so that a worker alive after all loses nothing: it holds nothing, and its next
# read makes it a consumer again.
FORGET_IF_HOLDING_NOTHING = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
"""
log = logging.getLogger(__name__)
Entry = tuple[bytes, dict[bytes, bytes]]
StreamEntries = list[tuple[bytes, list[Entry]]] | None


def consumer_name() -> str:
    """Unique per worker process; host and pid tell an operator whose messages are pending."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class PatientRedisStreamBroker(RedisStreamBroker):
    def __init__(self, url: str, queue: str, *, reclaim_seconds: float) -> None:
        super().__init__(
            url,
            queue_name=f"{queue}.events",
            consumer_group_name=f"{queue}-workers",
            consumer_name=consumer_name(),
            consumer_id="0",  # a group made again after Redis lost it reads what is there
            xread_block=READ_BLOCK_MS,
            xread_count=1,
            idle_timeout=round(reclaim_seconds * 1000),
            socket_connect_timeout=2,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        self.reclaim_seconds = reclaim_seconds
        self._next_reclaim_pass = 0.0
        self._forget = Redis(connection_pool=self.connection_pool).register_script(FORGET_IF_HOLDING_NOTHING)

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        while True:
            try:
                async for message in self._read():
                    yield message
            except REDIS_AWAY as error:
                log.warning("Redis away (%s); listening again in %s s", error, RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
            except ResponseError as error:
                if not any(gone in str(error) for gone in ("NOGROUP", "no such key")):
                    raise
                log.warning(
                    "consumer group %s gone (Redis lost its data?); made again", self.consumer_group_name
                )
                await self._declare_consumer_group()

    async def _read(self) -> AsyncGenerator[AckableMessage, None]:
        """Messages that dead consumers left come first, then new ones."""
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                if time.monotonic() >= self._next_reclaim_pass:
                    if reclaimed := await self._reclaim_one(redis):
                        yield reclaimed
                        continue
                    self._next_reclaim_pass = time.monotonic() + RECLAIM_PASS_SECONDS
                fetched: StreamEntries = await redis.xreadgroup(  # type: ignore[assignment]
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    block=self.block,
                    count=1,
                )
                for _stream, entries in fetched or []:
                    for entry_id, fields in entries:
                        yield self._message(entry_id, fields)

    async def _reclaim_one(self, redis: Redis) -> AckableMessage | None:
        """A message taken at least `reclaim_seconds` ago and not acknowledged, now ours; its
        consumer is taken for dead and forgotten once it holds nothing."""
        while stale := await redis.xpending_range(
            self.queue_name, self.consumer_group_name, min="-", max="+", count=1, idle=self.idle_timeout
        ):
            entry_id, owner = cast(bytes, stale[0]["message_id"]), cast(bytes, stale[0]["consumer"])
            claimed: list[Entry] = await redis.xclaim(  # type: ignore[assignment]
                self.queue_name, self.consumer_group_name, self.consumer_name, self.idle_timeout, [entry_id]
            )  # none when another worker claimed it first
            await self._forget(keys=[self.queue_name], args=[self.consumer_group_name, owner], client=redis)
            if claimed:
                log.warning(
                    "message %s not acknowledged by %s within %s s (delivered %s times); handling it again",
                    entry_id.decode(),
                    owner.decode(),
                    self.reclaim_seconds,
                    stale[0]["times_delivered"],
                )
                return self._message(*claimed[0])
        return None

    async def shutdown(self) -> None:
        if self.is_worker_process:
            with contextlib.suppress(*REDIS_AWAY, ResponseError):
                await self._forget(
                    keys=[self.queue_name], args=[self.consumer_group_name, self.consumer_name]
                )
        await super().shutdown()

    def _message(self, entry_id: bytes, fields: dict[bytes, bytes]) -> AckableMessage:
        return AckableMessage(data=fields[b"data"], ack=self._acknowledge_and_delete(entry_id))

    def _acknowledge_and_delete(self, entry_id: bytes) -> Callable[[], Awaitable[None]]:
        """Run by the receiver after the task returned, that is after its transaction committed."""

        async def acknowledge() -> None:
            try:
                async with Redis(connection_pool=self.connection_pool) as redis:
                    pipe = redis.pipeline(transaction=True)
                    pipe.xack(self.queue_name, self.consumer_group_name, entry_id)
                    pipe.xdel(self.queue_name, entry_id)
                    await pipe.execute()
            except REDIS_AWAY as error:
                log.warning(
                    "message %s handled but not acknowledged (%s): handled again after %s s, as a no-op",
                    entry_id.decode(),
                    error,
                    self.reclaim_seconds,
                )

        return acknowledge
