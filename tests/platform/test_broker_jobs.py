"""Events travel through a real broker (RabbitMQ, Redis, NATS) to a worker that runs the
handlers once, and the scheduler leads in one process only."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid

import pytest
from ops.tcpcut import ProxyThread
from redis.asyncio import Redis
from sqlalchemy import make_url, select
from taskiq.api import run_receiver_task

from dingdan.platform import events
from dingdan.platform.db import Database
from dingdan.platform.jobs import Jobs
from dingdan.platform.leader import leadership

BROKERS = {
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672/", 5672),
    "redis": ("redis://127.0.0.1:6379/0", 6379),
    "nats": ("nats://127.0.0.1:4222", 4222),
}


def reachable(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(params=sorted(BROKERS))
def broker_url(request: pytest.FixtureRequest) -> str:
    url, port = BROKERS[request.param]
    if not reachable(port):
        if os.environ.get("DINGDAN_TEST_REQUIRE_POSTGRES"):
            pytest.fail(f"{request.param} is required in CI but not reachable")
        pytest.skip(f"{request.param} not running")
    return url


def collecting_subscribers() -> tuple[events.Subscribers, str, list[events.Event]]:
    """Subscribers with one handler on a fresh topic that keeps every event it is given."""
    seen: list[events.Event] = []

    async def handler(session, event):
        seen.append(event)

    subscribers = events.Subscribers()
    topic = f"test.{uuid.uuid4().hex[:8]}"
    subscribers.on(topic, "collect", handler)
    return subscribers, topic, seen


async def record_events(db: Database, topic: str, count: int) -> list[int]:
    """`count` events of the topic on aggregates "0", "1", …; their ids."""

    async def write(session):
        for n in range(count):
            events.record(session, events.Event(topic, "test", str(n)))

    await db.write(write)
    async with db.read() as session:
        return [e.id for n in range(count) for e in await events.list_for(session, "test", str(n))]


async def test_s_out_2_events_reach_a_worker_through_the_broker_and_run_once(db: Database, broker_url: str):
    if db.is_sqlite:
        pytest.skip("a broker is for several processes on PostgreSQL")
    subscribers, topic, seen = collecting_subscribers()
    publisher = Jobs.create(broker_url, db, subscribers)
    worker = Jobs.create(broker_url, db, subscribers)
    if "redis" in broker_url:
        publisher.broker.queue_name = worker.broker.queue_name = f"dingdan-test-{topic}"  # type: ignore[attr-defined]
    worker.broker.is_worker_process = True
    await worker.broker.startup()
    await publisher.broker.startup()
    receiving = asyncio.create_task(run_receiver_task(worker.broker))
    try:
        relay = events.Relay(db, subscribers, publish=publisher.publish)

        await record_events(db, topic, 3)
        assert await relay.drain() == 3
        for _ in range(100):
            if len(seen) >= 3:
                break
            await asyncio.sleep(0.05)
        assert len(seen) == 3
        async with db.read() as session:
            replay = await events.list_for(session, "test", "0")
        await publisher.publish(replay[:1])  # a redelivery (at-least-once) changes nothing
        await asyncio.sleep(0.5)
        assert len(seen) == 3
    finally:
        receiving.cancel()
        await publisher.broker.shutdown()
        await worker.broker.shutdown()
        if "redis" in broker_url:  # a stream outlives its last message, unlike a list
            async with Redis.from_url(broker_url) as redis:
                await redis.delete(worker.broker.queue_name)  # type: ignore[attr-defined]


async def test_only_one_process_leads_the_schedule(db: Database):
    if db.is_sqlite:
        pytest.skip("SQLite runs a single process, which always leads")
    other = Database(db.url)
    order: list[str] = []

    async def lead(name: str, database: Database, hold: float) -> None:
        async with leadership(database):
            order.append(f"{name} leads")
            await asyncio.sleep(hold)
            order.append(f"{name} steps down")

    import dingdan.platform.leader as leader_module

    leader_module.RETRY_SECONDS = 0.05
    await asyncio.gather(lead("first", db, 0.4), asyncio.sleep(0.1))
    await asyncio.gather(lead("a", db, 0.3), lead("b", other, 0.3))
    await other.dispose()
    assert order[:2] == ["first leads", "first steps down"]
    assert order[2].endswith("leads") and order[3].endswith("steps down")
    assert order[2].split()[0] == order[3].split()[0]  # never two leaders at once


async def test_an_event_whose_handler_fails_in_a_worker_goes_back_to_the_outbox(db: Database):
    """In a worker the event was marked delivered when it was published; a failing handler must
    not lose it: the event is marked undelivered again, a relay publishes it anew, and the handler
    that succeeded the first time does not run again."""
    calls = {"steady": 0, "flaky": 0}
    failing = True

    async def steady(session, event):
        calls["steady"] += 1

    async def flaky(session, event):
        calls["flaky"] += 1
        if failing:
            raise RuntimeError("not yet")

    subscribers = events.Subscribers()
    subscribers.on("test.flaky", "steady", steady)
    subscribers.on("test.flaky", "flaky", flaky)
    published: list[list[int]] = []

    async def publish(batch: list[events.Event]) -> None:
        published.append([e.id for e in batch])

    relay = events.Relay(db, subscribers, publish=publish)
    await db.write(_record, events.Event("test.flaky", "test", "1"))
    assert await relay.drain() == 1
    await events.deliver(db, subscribers, await events.load_events(db, published[0]))  # a worker's part
    assert await handlers_of(db, published[0][0]) == ["steady"]
    assert await relay.drain() == 1  # back in the outbox, published again
    failing, steady_calls = False, calls["steady"]
    await events.deliver(db, subscribers, await events.load_events(db, published[1]))
    assert await handlers_of(db, published[0][0]) == ["flaky", "steady"]
    assert calls["steady"] == steady_calls  # already handled: not run again
    assert await relay.drain() == 0


async def _record(session, event: events.Event) -> None:
    events.record(session, event)


async def handlers_of(db: Database, event_id: int) -> list[str]:
    async with db.read() as session:
        rows = await session.execute(
            select(events.HandledEvent.handler).where(events.HandledEvent.event_id == event_id)
        )
        return sorted(rows.scalars())


async def test_s_out_2_a_worker_that_loses_the_database_keeps_the_message_until_it_is_handled(db: Database):
    """The broker acknowledges a message when the task returns, and the events were marked
    delivered when published: a task that gave up while the database was away would lose them."""
    if db.is_sqlite:
        pytest.skip("a worker reaches PostgreSQL over the network")
    subscribers, topic, seen = collecting_subscribers()
    ids = await record_events(db, topic, 2)
    url = make_url(db.url)
    proxy = ProxyThread(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.start()
    proxy.cut()
    worker_db = Database(url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False))
    worker = Jobs.create("", worker_db, subscribers)
    try:
        task = asyncio.create_task(worker.deliver_events(ids))
        await asyncio.sleep(1.5)  # a few attempts fail while the path is cut
        assert not task.done() and seen == []
        proxy.restore()
        await asyncio.wait_for(task, timeout=30)
    finally:
        proxy.close()
        await worker_db.dispose()
    assert sorted(e.aggregate_id for e in seen) == ["0", "1"]
