"""Events: the transactional outbox, which is also every aggregate's timeline.

A service records an event with `record(session, ...)`; the unit of work writes all events of
the transaction in one INSERT just before commit, so an event exists if and only if the change
it describes was committed. The relay reads undelivered events in id order and hands each to
the subscribed handlers; delivery is at-least-once, so a (handler, event) claim guards each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, Index, Select, String, Table, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform import activity, clock, metrics
from dingdan.platform.batchinsert import BatchInsert
from dingdan.platform.db import Base, Database, padded
from dingdan.platform.types import BigId, UtcDateTime

log = logging.getLogger(__name__)
PENDING_KEY = "dingdan.pending_events"
MAX_BACKOFF_SECONDS = 2.0  # between tries while delivery fails; also the most it adds to a drain
BATCH_SIZE = 200
# SQLite has one writer: a batch holds it for all its handlers, and requests wait behind it.
SQLITE_BATCH_SIZE = 20
DRAIN_WAIT_SECONDS = 0.01  # for another relay's batch to commit
HANDLER_SHARE = 1 / 3  # of a busy process's time, at most, for the relay's in-process handlers


class EventRow(Base):
    __tablename__ = "platform_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    aggregate_type: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120), default="system")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        Index("ix_platform_event_aggregate", "aggregate_type", "aggregate_id", "id"),
        Index(
            "ix_platform_event_undelivered",
            "id",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
    )


class HandledEvent(Base):
    """One row per (handler, event): makes every handler idempotent."""

    __tablename__ = "platform_event_handled"

    handler: Mapped[str] = mapped_column(String(80), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Event:
    topic: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    actor: str = "system"
    id: int = 0
    created_at: datetime | None = None


_INSERT_EVENTS = BatchInsert(cast(Table, EventRow.__table__))


def record(session: AsyncSession, event: Event) -> None:
    session.info.setdefault(PENDING_KEY, []).append(event)


async def flush_pending(session: AsyncSession) -> bool:
    pending: list[Event] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return False
    at = clock.now()
    rows = [
        {
            "topic": e.topic,
            "aggregate_type": e.aggregate_type,
            "aggregate_id": e.aggregate_id,
            "actor": e.actor,
            "payload": e.payload,
            "created_at": e.created_at or at,
        }
        for e in pending
    ]
    await _INSERT_EVENTS.run(session, rows)
    return True


async def list_for(session: AsyncSession, aggregate_type: str, aggregate_id: str) -> list[Event]:
    rows = await session.execute(
        select(EventRow)
        .where(EventRow.aggregate_type == aggregate_type, EventRow.aggregate_id == aggregate_id)
        .order_by(EventRow.id)
    )
    return [_to_event(r) for r in rows.scalars()]


def _to_event(row: EventRow) -> Event:
    return Event(
        topic=row.topic,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        payload=row.payload,
        actor=row.actor,
        id=row.id,
        created_at=row.created_at,
    )


Handler = Callable[[AsyncSession, Event], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[Event]], Awaitable[None]]


class Subscribers:
    """topic -> handlers. A handler runs once per event, in the relay's transaction.

    `on` takes a handler of one event; `on_batch` one that takes the fresh events of a relay
    batch together (in id order), so that it can read and write once for all of them."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[str, BatchHandler]]] = {}

    def on(self, topic: str, name: str, handler: Handler) -> None:
        async def one_by_one(session: AsyncSession, batch: list[Event]) -> None:
            for event in batch:
                await handler(session, event)

        self.on_batch(topic, name, one_by_one)

    def on_batch(self, topic: str, name: str, handler: BatchHandler) -> None:
        self._handlers.setdefault(topic, []).append((name, handler))

    def for_topic(self, topic: str) -> list[tuple[str, BatchHandler]]:
        return self._handlers.get(topic, []) + self._handlers.get("*", [])


async def _claim(session: AsyncSession, handler_name: str, event_id: int) -> bool:
    """Inside the caller's savepoint: insert-or-ignore the (handler, event) claim."""
    ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    claimed = await session.execute(
        ins(HandledEvent)
        .values(handler=handler_name, event_id=event_id, handled_at=clock.now())
        .on_conflict_do_nothing()
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


# Built once and run with a list of rows: a VALUES list built per call is compiled per call.
_CLAIM_MANY = {
    name: ins(HandledEvent).on_conflict_do_nothing().returning(HandledEvent.event_id)
    for name, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def _claim_many(session: AsyncSession, handler_name: str, event_ids: list[int]) -> set[int]:
    """Claim (handler, event) for many events in one statement; returns the newly claimed."""
    at = clock.now()
    claimed = await session.execute(
        _CLAIM_MANY[session.get_bind().dialect.name],
        [{"handler": handler_name, "event_id": eid, "handled_at": at} for eid in event_ids],
    )
    return set(claimed.scalars())


async def handle_once(session: AsyncSession, handler_name: str, event_id: int) -> bool:
    """Claims (handler, event); False when it was already handled."""
    try:
        async with session.begin_nested():
            await session.execute(
                insert(HandledEvent).values(handler=handler_name, event_id=event_id, handled_at=clock.now())
            )
    except IntegrityError:
        return False
    return True


Publish = Callable[[list[Event]], Awaitable[None]]


async def deliver(db: Database, subscribers: Subscribers, batch: list[Event]) -> None:
    """Run every handler subscribed to the events, once each (a broker's task, in a worker).

    The events were marked delivered when they were published; one whose handler fails is
    marked undelivered again, so that a relay publishes it anew and the handler is retried."""
    if not batch:
        return
    try:
        await db.write(_handle_fresh, subscribers, batch)
    except Exception:  # some handler failed: redo the batch one handler at a time
        log.warning("a handler failed in a batch of %d events; isolating it", len(batch))
        await db.write(_handle_each_and_reopen, subscribers, batch)


async def _handle_each_and_reopen(
    session: AsyncSession, subscribers: Subscribers, batch: list[Event]
) -> None:
    done = set(await handle_batch(session, subscribers, batch))
    if failed := [e.id for e in batch if e.id not in done]:
        await session.execute(update(EventRow).where(EventRow.id.in_(failed)).values(delivered_at=None))


async def _handle_fresh(session: AsyncSession, subscribers: Subscribers, batch: list[Event]) -> None:
    """The fast path: one claim statement per handler for the whole batch, no savepoints."""
    wanted: dict[str, tuple[BatchHandler, list[Event]]] = {}
    for event in batch:
        for name, handler in subscribers.for_topic(event.topic):
            wanted.setdefault(name, (handler, []))[1].append(event)
    for name, (handler, handled_events) in wanted.items():
        fresh = await _claim_many(session, name, [e.id for e in handled_events])
        if fresh_events := [e for e in handled_events if e.id in fresh]:
            await handler(session, fresh_events)


async def handle_batch(session: AsyncSession, subscribers: Subscribers, batch: list[Event]) -> list[int]:
    """Run the subscribed handlers of many events in one transaction; returns the ids of the
    events whose handlers all succeeded. Each handler runs in a savepoint with its
    (handler, event) claim, so a failing one is undone alone and retried with the next batch."""
    done = []
    for event in batch:
        succeeded = True
        for name, handler in subscribers.for_topic(event.topic):
            try:
                async with session.begin_nested():
                    if await _claim(session, name, event.id):
                        await handler(session, [event])
            except Exception:  # the relay must go on; this event is retried later
                succeeded = False
                metrics.JOB_FAILURES.labels(name).inc()
                log.exception("handler %s failed on event %s", name, event.id)
        if succeeded:
            done.append(event.id)
    return done


async def load_events(db: Database, event_ids: list[int]) -> list[Event]:
    """The events of these ids that exist, in id order."""
    async with db.read() as session:
        rows = await session.execute(
            select(EventRow).where(EventRow.id.in_(padded(event_ids))).order_by(EventRow.id)
        )
        return [_to_event(r) for r in rows.scalars()]


_ANY_UNDELIVERED = select(EventRow.id).where(EventRow.delivered_at.is_(None)).limit(1)


class Relay:
    """Moves outbox events on, in id order, at least once.

    In-process (the default) it runs the subscribed handlers itself. With a broker, `publish`
    hands each event id to the broker and worker processes run the handlers; then batches are
    claimed with FOR UPDATE SKIP LOCKED, so several relays (one per process) share the work.
    """

    def __init__(
        self,
        db: Database,
        subscribers: Subscribers,
        *,
        publish: Publish | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.db = db
        self.subscribers = subscribers
        self.publish = publish
        self.batch_size = batch_size or (SQLITE_BATCH_SIZE if db.is_sqlite else BATCH_SIZE)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        db.after_commit_hooks.append(self._wake.set)

    def start(self, poll_seconds: float = 1.0, gather_seconds: float = 0.05) -> None:
        """Deliver on every commit's wake-up (or every `poll_seconds`), after `gather_seconds`
        so that a busy process hands its handlers batches rather than single events."""
        self._task = asyncio.create_task(self._run(poll_seconds, gather_seconds))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, poll_seconds: float, gather_seconds: float) -> None:
        backoff = 0.0
        while True:
            if backoff:  # failing (a broker away, a broken handler): wake-ups wait for the back-off
                await asyncio.sleep(backoff)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
            await asyncio.sleep(gather_seconds)
            self._wake.clear()
            backoff = await self._sweep(backoff)

    async def _sweep(self, backoff: float) -> float:
        """Moves on every batch there is; returns the back-off before the next try (0: none)."""
        try:
            while await self._paced_batch():
                pass
        except Exception:  # the relay must go on: the events stay in the outbox until it succeeds
            metrics.JOB_FAILURES.labels("event_relay").inc()
            if not backoff:  # once per run of failures, not on every commit
                log.exception("event relay batch failed; retrying every %s s at most", MAX_BACKOFF_SECONDS)
            return min(max(backoff * 2, 0.25), MAX_BACKOFF_SECONDS)
        if backoff:
            log.warning("event relay delivers again")
        return 0.0

    async def _paced_batch(self) -> int:
        """One batch; when the handlers ran in this process, then a pause of up to twice as long
        as the batch took, for as long as the process is busy with requests (`activity.busy`):
        under a burst the requests keep most of the process and the events wait in the outbox
        meanwhile; once it is quiet (the burst is over, or one order came in a quiet moment),
        the outbox goes at full speed (docs/decisions/0007)."""
        began = time.monotonic()
        moved = await self.deliver_batch()
        if moved and self.publish is None:
            pause = (time.monotonic() - began) * (1 - HANDLER_SHARE) / HANDLER_SHARE
            await activity.yield_to_requests(pause)
        return moved

    async def deliver_batch(self) -> int:
        """Delivers (or publishes) one batch; returns how many events it moved on."""
        if self.publish is not None:
            return await self.db.write(self._publish_batch)
        if not await self._any_undelivered():  # an idle relay looks without a write transaction
            return 0
        try:
            return await self.db.write(self._handle_all_and_mark)
        except Exception:  # some handler failed: redo a batch one handler at a time
            log.warning("a handler failed in a batch of events; isolating it")
            return await self.db.write(self._handle_each_and_mark)

    async def _handle_all_and_mark(self, session: AsyncSession) -> int:
        batch = await self._claim_batch(session)
        await _handle_fresh(session, self.subscribers, batch)
        await _mark_delivered(session, [e.id for e in batch])
        return len(batch)

    async def _handle_each_and_mark(self, session: AsyncSession) -> int:
        batch = await self._claim_batch(session)
        done = await handle_batch(session, self.subscribers, batch)
        await _mark_delivered(session, done)
        return len(batch)

    async def _any_undelivered(self) -> bool:
        async with self.db.read() as session:
            return (await session.execute(_ANY_UNDELIVERED)).first() is not None

    async def _claim_batch(self, session: AsyncSession) -> list[Event]:
        """The next undelivered events that no other relay holds: with one relay in each API
        process, each takes its own batch instead of all of them reading the same one and
        waiting on each other's (handler, event) claims."""
        claimed = await session.execute(self._undelivered().with_for_update(skip_locked=True))
        return [_to_event(row) for row in claimed.scalars()]

    async def drain(self) -> int:
        """Delivers until no event is left undelivered, waiting for the batches other relays
        hold; returns how many this relay moved on."""
        total = 0
        while True:
            moved = await self.deliver_batch()
            total += moved
            if not moved:
                if not await self._any_undelivered():
                    return total
                await asyncio.sleep(DRAIN_WAIT_SECONDS)

    def _undelivered(self) -> Select[EventRow]:
        return (
            select(EventRow)
            .where(EventRow.delivered_at.is_(None))
            .order_by(EventRow.id)
            .limit(self.batch_size)
        )

    async def _publish_batch(self, session: AsyncSession) -> int:
        claimed = await self._claim_batch(session)
        assert self.publish is not None
        if claimed:  # a failed publish rolls back: the events stay undelivered
            await self.publish(claimed)
            await _mark_delivered(session, [event.id for event in claimed])
        return len(claimed)


async def _mark_delivered(session: AsyncSession, event_ids: list[int]) -> None:
    if not event_ids:
        return
    await session.execute(
        update(EventRow).where(EventRow.id.in_(padded(event_ids))).values(delivered_at=clock.now())
    )
