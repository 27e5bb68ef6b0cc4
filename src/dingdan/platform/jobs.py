"""Background jobs on taskiq: the outbox relay publishes event ids, receivers run the handlers.

`DINGDAN_BROKER_URL` picks the broker: empty (default) keeps everything in the process
(taskiq's in-memory broker, executed in place); `amqp://…` RabbitMQ, `redis://…` a Redis stream
(see `redis_stream`), `nats://…` NATS JetStream (a work-queue stream). With each of them a
message goes to one worker and is kept until that worker acknowledges it, after its handlers
committed. `DINGDAN_BROKER_QUEUE` names the queue (or stream), so that several shops can share
one broker.

A message carries the ids of a few events, so that a worker handles them in one transaction.
While the broker is away, publishing fails fast, the events stay in the outbox and the relay
tries again (see `events.Relay`); the clients reconnect by themselves, for as long as it takes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from taskiq import AckableMessage, AsyncBroker, InMemoryBroker

from dingdan.platform import events
from dingdan.platform.db import Database

DELIVER_TASK = "dingdan.deliver_events"
LEGACY_DELIVER_TASK = "dingdan.deliver_event"  # one id a message: messages left by older versions
EVENTS_PER_MESSAGE = 50  # a relay batch is spread over several workers in messages of this many
# Messages a worker process handles at once. Each is a transaction over many events and the work
# is mostly Python: more at once only stretches every transaction, and they queue on the rollup
# rows they share (a backlog after a broker outage took 3 times longer at 50 than at 4).
WORKER_CONCURRENCY = 4
PUBLISH_TIMEOUT_SECONDS = 10.0
STARTUP_RETRY_SECONDS = 2.0
RECLAIM_SECONDS = 30.0  # Redis: a message unacknowledged this long goes to another worker
RETRY_FIRST_SECONDS = 0.5  # a worker that cannot reach the database tries again after this,
RETRY_MAX_SECONDS = 10.0  # doubling up to this
log = logging.getLogger(__name__)


def make_broker(url: str, queue: str = "dingdan", *, reclaim_seconds: float = RECLAIM_SECONDS) -> AsyncBroker:
    scheme = url.split(":", 1)[0]
    if not url:
        return InMemoryBroker(await_inplace=True)
    if scheme in {"amqp", "amqps"}:
        from taskiq_aio_pika import AioPikaBroker, Queue

        return AioPikaBroker(
            url,
            task_queues=[Queue(name=queue)],
            dead_letter_queue=Queue(name=f"{queue}.dead_letter"),
            reconnect_interval=1,
        )
    if scheme in {"redis", "rediss"}:
        from dingdan.platform.redis_stream import PatientRedisStreamBroker

        return PatientRedisStreamBroker(url, queue, reclaim_seconds=reclaim_seconds)
    if scheme == "nats":
        return _nats_broker(url, queue)
    raise ValueError(f"unsupported broker URL scheme: {scheme!r}")


def _nats_broker(url: str, queue: str) -> AsyncBroker:
    """JetStream, not core NATS: core NATS keeps nothing, so a message published at the instant
    a connection breaks, or to a worker that is away, is gone (S-OUT-3 lost events that way).
    A work-queue stream keeps each message until a worker acknowledges it; a publish waits for
    the stream's acknowledgement, so one that fails leaves the events in the outbox."""
    from nats.errors import Error as NatsError
    from nats.js.api import ConsumerConfig, RetentionPolicy, StreamConfig
    from taskiq_nats import PullBasedJetStreamBroker

    class PatientJetStreamBroker(PullBasedJetStreamBroker):
        async def listen(self) -> AsyncGenerator[AckableMessage, None]:
            while True:
                try:
                    async for message in super().listen():
                        yield message
                except (NatsError, OSError) as error:
                    log.warning("NATS away (%r); listening again in 1 s", error)
                    await asyncio.sleep(1)

    return PatientJetStreamBroker(
        url,
        subject=f"{queue}.events",
        stream_name=queue,
        durable=f"{queue}-workers",
        stream_config=StreamConfig(retention=RetentionPolicy.WORK_QUEUE),
        consumer_config=ConsumerConfig(durable_name=f"{queue}-workers", ack_wait=5),
        pull_consume_batch=10,
        pull_consume_timeout=1,
        max_reconnect_attempts=-1,  # reconnect for ever, every second
        reconnect_time_wait=1,
        pending_size=0,  # buffer nothing while away: a publish then fails at once
    )


@dataclass
class Jobs:
    broker: AsyncBroker
    db: Database
    subscribers: events.Subscribers

    @classmethod
    def create(
        cls,
        url: str,
        db: Database,
        subscribers: events.Subscribers,
        queue: str = "dingdan",
        *,
        reclaim_seconds: float = RECLAIM_SECONDS,
    ) -> Jobs:
        jobs = cls(make_broker(url, queue, reclaim_seconds=reclaim_seconds), db, subscribers)

        async def deliver_events(event_ids: list[int]) -> None:
            await jobs.deliver_events(event_ids)

        async def deliver_event(event_id: int) -> None:
            await jobs.deliver_events([event_id])

        jobs.broker.register_task(deliver_events, task_name=DELIVER_TASK)
        jobs.broker.register_task(deliver_event, task_name=LEGACY_DELIVER_TASK)
        return jobs

    async def deliver_events(self, event_ids: list[int]) -> None:
        """Handle one message's events. The broker acknowledges the message when this returns,
        and the events were marked delivered when published: so while the database cannot be
        reached this keeps trying instead of raising, holding the message. A worker killed
        meanwhile leaves it unacknowledged, and the broker hands it to another. (A failing
        handler does not raise here: `events.deliver` reopens its events for the relay.)"""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                await events.deliver(self.db, self.subscribers, await events.load_events(self.db, event_ids))
                return
            except Exception as exc:
                log.warning("events %s not handled (%s); trying again in %.1f s", event_ids, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def publish(self, batch: list[events.Event]) -> None:
        """Hands the events to the broker; raises when it cannot (the relay retries them)."""
        task = self.broker.find_task(DELIVER_TASK)
        assert task is not None
        for start in range(0, len(batch), EVENTS_PER_MESSAGE):
            ids = [e.id for e in batch[start : start + EVENTS_PER_MESSAGE]]
            await asyncio.wait_for(task.kiq(ids), timeout=PUBLISH_TIMEOUT_SECONDS)

    async def start_publishing(self) -> None:
        """Connects the broker, trying again until it answers: the API takes orders meanwhile
        (the events wait in the outbox)."""
        while True:
            try:
                await self.broker.startup()
                return
            except Exception:
                log.warning("broker not reachable; again in %s s", STARTUP_RETRY_SECONDS, exc_info=True)
                await asyncio.sleep(STARTUP_RETRY_SECONDS)
