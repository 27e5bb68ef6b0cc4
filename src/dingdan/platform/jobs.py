"""Background jobs on taskiq: the outbox relay publishes event ids, receivers run the handlers.

`DINGDAN_BROKER_URL` picks the broker: empty (default) keeps everything in the process
(taskiq's in-memory broker, executed in place); `amqp://…` RabbitMQ, `redis://…` Redis,
`nats://…` NATS (a queue group, so each event goes to one worker).
"""

from __future__ import annotations

from dataclasses import dataclass

from taskiq import AsyncBroker, InMemoryBroker

from dingdan.platform import events
from dingdan.platform.db import Database

DELIVER_TASK = "dingdan.deliver_event"


def make_broker(url: str) -> AsyncBroker:
    scheme = url.split(":", 1)[0]
    if not url:
        return InMemoryBroker(await_inplace=True)
    if scheme in {"amqp", "amqps"}:
        from taskiq_aio_pika import AioPikaBroker

        return AioPikaBroker(url)
    if scheme in {"redis", "rediss"}:
        from taskiq_redis import ListQueueBroker

        return ListQueueBroker(url, queue_name="dingdan")
    if scheme == "nats":
        from taskiq_nats import NatsBroker

        return NatsBroker(url, subject="dingdan.events", queue="dingdan-workers")
    raise ValueError(f"unsupported broker URL scheme: {scheme!r}")


@dataclass
class Jobs:
    broker: AsyncBroker
    db: Database
    subscribers: events.Subscribers

    @classmethod
    def create(cls, url: str, db: Database, subscribers: events.Subscribers) -> Jobs:
        jobs = cls(make_broker(url), db, subscribers)

        async def deliver_event(event_id: int) -> None:
            await jobs.deliver_event(event_id)

        jobs.broker.register_task(deliver_event, task_name=DELIVER_TASK)
        return jobs

    async def deliver_event(self, event_id: int) -> None:
        event = await events.load_event(self.db, event_id)
        if event is not None:
            await events.deliver(self.db, self.subscribers, event)

    async def publish(self, event: events.Event) -> None:
        task = self.broker.find_task(DELIVER_TASK)
        assert task is not None
        await task.kiq(event.id)
