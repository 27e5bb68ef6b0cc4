"""S-OUT-4: per-order ordering. Many orders each go through five rapid changes while their
events are published by the relay and handled by several workers at once, each taking the
waiting events in random order (the broker's way: nothing keeps one order's events in order).

Checked afterwards: every order event carries its order's sequence number, strictly increasing
along the order's timeline and ending at the order's version; the console feed carries it too,
so a page that ignores stale pushes ends on each order's last change; no customer progress
message went out after a later one about the same order (stale ones are skipped), while every
payment and refund message went out once; and the rollups equal a rebuild from the orders
(0 drift), with `dingdan check` clean.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from dingdan.inventory import service as inventory
from dingdan.main import build_all_subscribers
from dingdan.notifications.models import Delivery
from dingdan.orders import service as orders
from dingdan.orders.schemas import OrderIn
from dingdan.orders.states import FulfillmentStatus, OrderStatus, PaymentStatus
from dingdan.platform import events
from dingdan.platform.db import Database
from dingdan.platform.events import Event, EventRow, Relay
from dingdan.reports import rollups
from dingdan.reports.invariants import run_checks
from dingdan.workflows import console_push
from dingdan.workflows.cancel_order import cancel_order
from dingdan.workflows.confirm_order import confirm_order
from dingdan.workflows.notify_customers import PROGRESS
from dingdan.workflows.order_notes import add_note
from dingdan.workflows.place_order import Intake, submit_order
from factories.shop import make_sku, order_body

# CI size; the scenario's 1,000 orders run under the `slow` marker (make test-long).
CI_ORDERS = int(os.environ.get("DINGDAN_S_OUT_4_ORDERS", "200"))
FULL_ORDERS = 1000
SKUS = 8
WRITERS = 16  # orders changing at once
WORKERS = 4  # event handlers running at once
# Events a worker takes at random and handles in one transaction. On PostgreSQL one, as a
# broker's worker does (events.deliver): several events per transaction, each refreshing its
# rollup rows in turn, would lock them in no fixed order and meet deadlocks the app never makes.
# SQLite has one writer at a time, so a few per transaction only save commits.
CHUNK = {"sqlite": 8, "postgresql": 1}
WINDOW = 64  # … from at least this many waiting (until the last are published)
Step = Callable[[Any, str], Awaitable[None]]


async def _paid(session: Any, number: str) -> None:
    """As the payment webhook does: `order.paid`, then the move it allows, in one transaction."""
    order = await orders.get_order_row(session, number=number, for_update=True)
    await orders.record_timeline(
        session, number, "order.paid", "provider:sandbox", amount=str(order["total"])
    )
    await orders.transition(
        session, order=order, to=OrderStatus.CONFIRMED, actor="provider:sandbox", reason="paid",
        changes={"payment_status": PaymentStatus.PAID.value},
    )  # fmt: skip


async def _shipped(session: Any, number: str) -> None:
    """Shipped by hand: the reserved units leave the warehouse, the order moves on."""
    order = await orders.get_order_row(session, number=number, for_update=True)
    lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    await inventory.ship_reserved(
        session, order_ref=number, quantities={ln["sku"]: ln["quantity"] for ln in lines}, actor="test"
    )
    await orders.transition(
        session, order=order, to=OrderStatus.SHIPPED, actor="test",
        changes={"fulfillment_status": FulfillmentStatus.SHIPPED.value},
    )  # fmt: skip


def _moved(to: OrderStatus, **changes: str) -> Step:
    async def step(session: Any, number: str) -> None:
        order = await orders.get_order_row(session, number=number, for_update=True)
        await orders.transition(session, order=order, to=to, actor="test", changes=changes)

    return step


async def _refunded(session: Any, number: str) -> None:
    order = await orders.get_order_row(session, number=number, for_update=True)
    await orders.update_fields(
        session, order=order, values={"payment_status": PaymentStatus.REFUNDED.value},
        event=orders.TimelineEvent(
            "order.refunded", "test", {"amount": str(order["total"]), "payment_status": "refunded"}
        ),
    )  # fmt: skip


async def _note(session: Any, number: str) -> None:
    await add_note(session, number=number, text="客人來電", actor="test")


async def _confirmed(session: Any, number: str) -> None:
    await confirm_order(session, number=number, actor="test", note="轉帳已入帳")


async def _cancelled(session: Any, number: str) -> None:
    await cancel_order(session, number=number, actor="test", reason="客人取消")


DELIVERED = _moved(OrderStatus.DELIVERED, fulfillment_status=FulfillmentStatus.DELIVERED.value)
COMPLETED = _moved(OrderStatus.COMPLETED)
# (payment method, the four changes after placing): five changes per order in all.
JOURNEYS: list[tuple[str, list[Step]]] = [
    ("online", [_paid, _shipped, DELIVERED, COMPLETED]),
    ("online", [_paid, _shipped, DELIVERED, _refunded]),
    ("cod", [_note, _shipped, DELIVERED, COMPLETED]),
    ("bank_transfer", [_note, _confirmed, _note, _cancelled]),
]


class Consumers:
    """The app's own subscribers (notifications, rollups, console push, …) run by workers that
    take the published events in random order, as broker workers may."""

    def __init__(self, db: Database, rng: random.Random) -> None:
        self.db, self.rng = db, rng
        self.waiting: list[Event] = []
        self.pushed: list[dict[str, Any]] = []
        self.subscribers = build_all_subscribers(live=self._push)
        self.relay = Relay(db, self.subscribers, publish=self._publish, batch_size=100)
        self.writing = True
        self.all_published = False

    async def _push(self, message: dict[str, Any]) -> None:
        self.pushed.append(message)

    async def _publish(self, published: list[Event]) -> None:
        self.waiting.extend(published)

    async def publish_while_writing(self) -> None:
        while self.writing:
            await self.relay.drain()
            await asyncio.sleep(0.01)
        await self.relay.drain()
        self.all_published = True

    async def work(self) -> None:
        """Take a few waiting events at random and handle them in that order, in one
        transaction (events.handle_batch: each handler once per event, as a worker does)."""
        while not self.all_published or self.waiting:
            if not self.waiting or (len(self.waiting) < WINDOW and not self.all_published):
                await asyncio.sleep(0.005)
                continue
            taken = [
                self.waiting.pop(self.rng.randrange(len(self.waiting)))
                for _ in range(min(CHUNK[self.db.dialect], len(self.waiting)))
            ]
            await self.db.write(events.handle_batch, self.subscribers, taken)


def _place_request(n: int, payment: str, sku: str) -> OrderIn:
    body = order_body((sku, 1 + n % 2), payment=payment)
    body["customer"]["phone"] = body["shipping_address"]["phone"] = f"09{n:08d}"
    return OrderIn.model_validate(body)


async def _run_journey(db: Database, n: int, skus: list[str], gate: asyncio.Semaphore) -> str:
    payment, steps = JOURNEYS[n % len(JOURNEYS)]
    async with gate:
        placed = await submit_order(
            db, request=_place_request(n, payment, skus[n % len(skus)]), intake=Intake("t", "t")
        )
        number = str(placed.body["number"])
        for step in steps:
            await db.write(step, number)
    return number


async def _s_out_4(db: Database, count: int) -> dict[str, Any]:
    skus = [await make_sku(db, stock=count, price=str(300 + 10 * i)) for i in range(SKUS)]
    consumers = Consumers(db, random.Random(4))
    workers = [asyncio.create_task(consumers.work()) for _ in range(WORKERS)]
    publisher = asyncio.create_task(consumers.publish_while_writing())
    gate = asyncio.Semaphore(WRITERS)
    try:
        numbers = await asyncio.gather(*(_run_journey(db, n, skus, gate) for n in range(count)))
    finally:
        consumers.writing = False
        await publisher
        await asyncio.gather(*workers)
    assert len(set(numbers)) == count
    await _sequences_increase_along_each_timeline(db, count)
    _console_ends_on_each_orders_last_change(consumers.pushed, await _last_pushed_change(db))
    skipped = await _progress_messages_never_go_backwards(db, count)
    await _rollups_equal_a_rebuild(db)
    return {"orders": count, "stale_progress_skipped": skipped, "pushes": len(consumers.pushed)}


async def _versions(db: Database) -> dict[str, int]:
    async with db.read() as session:
        rows = await session.execute(select(orders.ORDERS.c.number, orders.ORDERS.c.version))
        return {number: version for number, version in rows}


async def _sequences_increase_along_each_timeline(db: Database, count: int) -> None:
    versions = await _versions(db)
    assert len(versions) == count
    async with db.read() as session:
        rows = await session.execute(
            select(EventRow.aggregate_id, EventRow.payload)
            .where(EventRow.aggregate_type == "order")
            .order_by(EventRow.id)
        )
        by_order: dict[str, list[Any]] = defaultdict(list)
        for number, payload in rows:
            by_order[number].append(payload.get("seq"))
    for number, seqs in by_order.items():
        # Every change of these journeys is an event: no gaps, 1 … the order's version.
        assert seqs == list(range(1, versions[number] + 1)), (number, seqs)
        assert len(seqs) >= 5


async def _last_pushed_change(db: Database) -> dict[str, int]:
    """Per order, the sequence number of its last event the console is told about."""
    seq = EventRow.payload["seq"].as_integer()
    async with db.read() as session:
        rows = await session.execute(
            select(EventRow.aggregate_id, func.max(seq))
            .where(EventRow.aggregate_type == "order", EventRow.topic.in_(console_push.TOPICS))
            .group_by(EventRow.aggregate_id)
        )
        return {number: last for number, last in rows}


def _console_ends_on_each_orders_last_change(pushed: list[dict[str, Any]], last: dict[str, int]) -> None:
    """The console page's rule (static/console.js): a push no newer than what the row shows
    is ignored. Whatever order the pushes came in, every row ends on its order's last change."""
    shown: dict[str, int] = {}
    ignored = 0
    for message in pushed:
        if message["kind"] != "order":
            continue
        assert isinstance(message["seq"], int), message
        if message["seq"] <= shown.get(message["ref"], 0):
            ignored += 1
            continue
        shown[message["ref"]] = message["seq"]
    assert shown == last


async def _progress_messages_never_go_backwards(db: Database, count: int) -> int:
    """In the delivery log, one order's progress messages follow its sequence numbers; a
    stale one is skipped. Money messages are never skipped: one per paid and refunded order."""
    seq = EventRow.payload["seq"].as_integer()
    async with db.read() as session:
        rows = await session.execute(
            select(Delivery.order_number, Delivery.template, Delivery.channel, seq)
            .join(EventRow, EventRow.id == Delivery.event_id)
            .where(Delivery.order_number.is_not(None))
            .order_by(Delivery.id)
        )
        logged = rows.all()
        orders_count = (await session.execute(select(func.count()).select_from(orders.ORDERS))).scalar_one()
    assert orders_count == count
    progress = {kind.value for kind in PROGRESS}
    last: dict[tuple[str, str], int] = {}
    money: dict[str, int] = defaultdict(int)
    for number, template, channel, event_seq in logged:
        if template in progress:
            assert event_seq > last.get((number, channel), 0), (number, template, event_seq)
            last[number, channel] = event_seq
        elif template in {"order.paid", "order.refund_issued"} and channel == "sms":
            money[template] += 1
    paid = sum(1 for n in range(count) if JOURNEYS[n % len(JOURNEYS)][1][0] is _paid)
    refunded = sum(1 for n in range(count) if JOURNEYS[n % len(JOURNEYS)][1][-1] is _refunded)
    assert money == {"order.paid": paid, "order.refund_issued": refunded}
    assert len({n for n, *_ in logged}) == count  # an order's latest progress message is never stale
    return _skipped_count(logged, progress, count)


def _skipped_count(logged: list[Any], progress: set[str], count: int) -> int:
    """How many progress messages the journeys would send in order, minus those sent."""
    sent = sum(1 for _, template, channel, _ in logged if template in progress and channel == "sms")
    # online: received, confirmed, shipped, delivered; cash on delivery: confirmed at once,
    # shipped, delivered; bank transfer: received, confirmed (then cancelled: no message).
    in_order = {"online": 4, "cod": 3, "bank_transfer": 2}
    expected = sum(in_order[JOURNEYS[n % len(JOURNEYS)][0]] for n in range(count))
    assert sent <= expected, (sent, expected)
    return expected - sent


async def _rollups_equal_a_rebuild(db: Database) -> None:
    built_by_events = await _rollup_rows(db)
    assert built_by_events["reports_daily_sales"]
    await rollups.rebuild(db)
    assert await _rollup_rows(db) == built_by_events  # 0 drift
    async with db.read() as session:
        assert [f for f in await run_checks(session) if f.count] == []


async def _rollup_rows(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    from dingdan.reports.facts import ROLLUP_KEYS

    found = {}
    async with db.read() as session:
        for name, table in rollups.ROLLUP_TABLES.items():
            keys = len(ROLLUP_KEYS[name])
            rows = (await session.execute(select(table))).all()
            found[name] = {tuple(row) for row in rows if any(row[keys:])}
        facts = (await session.execute(select(rollups.FACTS))).all()
        found["facts"] = {tuple(repr(value) for value in row) for row in facts}
    return found


async def test_s_out_4_rapid_changes_handled_out_of_order_keep_per_order_sequence_and_zero_drift(db):
    outcome = await _s_out_4(db, CI_ORDERS)
    assert outcome["stale_progress_skipped"] > 0  # the shuffled workers did hand out stale events


@pytest.mark.slow
async def test_s_out_4_a_thousand_orders_with_five_rapid_changes_each(db):
    outcome = await _s_out_4(db, FULL_ORDERS)
    assert outcome["stale_progress_skipped"] > 0
