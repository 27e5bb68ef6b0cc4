"""S-WH-6 against a real `dingdan serve` process on PostgreSQL: payment webhooks arrive at
200 deliveries/s, one in ten a replay of an earlier one. Each must be answered 2xx fast (the
request only verifies and records; the event relay processes), and afterwards every distinct
event must have been processed exactly once and every replay must have changed nothing.

The run lasts the scenario's 60 s (DINGDAN_S_WH_6_SECONDS shortens it while working on it)."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from bench.http import Connection, build_request
from ops.cluster import Cluster
from sqlalchemy import func, select

from dingdan.payments.adapters.base import ProviderEvent, ProviderEventType
from dingdan.payments.adapters.sandbox import build_webhook
from dingdan.payments.adapters.standard_webhooks import generate_secret
from dingdan.payments.models import ParkedEvent, WebhookReceipt
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.events import EventRow, HandledEvent

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]

RATE = 200  # deliveries per second
REPLAY_EVERY = 10  # every 10th delivery repeats an earlier one
P99_LIMIT_SECONDS = 1.0
WARM_UP = 100  # deliveries at half the rate before the measured run, not measured
URL = "/webhooks/payments/sandbox"
Delivery = tuple[dict[str, str], bytes]


def plan_deliveries(count: int, secret: str, prefix: str = "load") -> list[Delivery]:
    """Signed deliveries of payment events for payments not known yet (each is parked by its
    processing); every REPLAY_EVERY-th is an exact repeat of the one REPLAY_EVERY before it."""
    now = clock.now()
    planned: list[Delivery] = []
    for index in range(count):
        if index % REPLAY_EVERY == REPLAY_EVERY - 1:
            planned.append(planned[index - REPLAY_EVERY + 1])
            continue
        event = ProviderEvent(
            event_id=f"evt_{prefix}_{index}",
            type=ProviderEventType.PAYMENT_SUCCEEDED,
            provider_payment_id=f"pay_{prefix}_{index}",
            amount=Decimal("100"),
            currency="TWD",
            occurred_at=now,
        )
        planned.append(build_webhook(event, secret, now))
    return planned


async def fire(base_url: str, planned: list[Delivery], rate: float) -> list[tuple[int, float]]:
    """Send delivery i at start + i/rate, whatever the earlier answers, each on an idle kept-alive
    connection (a new one when none is idle); (status, seconds from the planned send to the
    answer) each, status 0 for no answer. Timed from the plan, so a slow server cannot hide
    its queue by slowing the sender. The lean client leaves the cores to the server."""
    parts = urlsplit(base_url)
    raw = [build_request("POST", f"{base_url}{URL}", body, _without_type(h)) for h, body in planned]
    idle: list[Connection] = []
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5

    async def one(index: int) -> tuple[int, float]:
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        connection = idle.pop() if idle else Connection(parts.hostname or "", parts.port or 80)
        try:
            status, _ = await connection.request(raw[index])
        except (OSError, asyncio.IncompleteReadError):
            await connection.close()
            return 0, loop.time() - due
        idle.append(connection)
        return status, loop.time() - due

    try:
        return await asyncio.gather(*(one(i) for i in range(len(raw))))
    finally:
        for connection in idle:
            await connection.close()


def _without_type(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() != "content-type"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def wait_until_processed(db: Database, expected: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        async with db.read() as session:
            done = await session.scalar(
                select(func.count()).select_from(WebhookReceipt).where(WebhookReceipt.outcome.is_not(None))
            )
        if done == expected or time.monotonic() > deadline:
            return int(done or 0)
        await asyncio.sleep(0.25)


async def count(db: Database, statement: object) -> int:
    async with db.read() as session:
        return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]


SECONDS = int(os.environ.get("DINGDAN_S_WH_6_SECONDS", "60"))


async def test_s_wh_6_webhooks_at_200_per_second_are_acknowledged_fast_and_processed_once(db):
    seconds = SECONDS
    secret = generate_secret()
    warm_up = plan_deliveries(WARM_UP, secret, prefix="warm")  # connections opened, code loaded
    planned = plan_deliveries(RATE * seconds, secret)
    distinct = len({body for _, body in warm_up + planned})
    settings = {"DINGDAN_SANDBOX_WEBHOOK_SECRET": secret}
    if pool := os.environ.get("DINGDAN_S_WH_6_POOL_SIZE"):
        settings["DINGDAN_DATABASE_POOL_SIZE"] = pool
    cluster = Cluster(db.url, broker_url="", settings=settings)
    try:
        (api,) = cluster.start_apis(1)
        assert {status for status, _ in await fire(api, warm_up, RATE / 2)} == {200}
        began = time.monotonic()
        answers = await fire(api, planned, RATE)
        sent_in = time.monotonic() - began
        processed = await wait_until_processed(db, distinct, seconds=3 * seconds + 60)
        drained_in = time.monotonic() - began
    finally:
        cluster.stop()
    statuses = Counter(status for status, _ in answers)
    latencies = [took for _, took in answers]
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(
        f"S-WH-6 {len(planned)} deliveries at {RATE}/s: sent in {sent_in:.1f} s, all processed "
        f"{drained_in:.1f} s after the start; time-to-2xx p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; statuses {dict(statuses)}"
    )
    assert statuses == {200: len(planned)}
    assert p99 < P99_LIMIT_SECONDS
    assert processed == distinct
    assert await count(db, select(func.count()).select_from(WebhookReceipt)) == distinct
    assert await count(db, select(func.count()).select_from(ParkedEvent)) == distinct
    handled = (
        select(func.count()).select_from(HandledEvent).where(HandledEvent.handler == "apply_payment_webhook")
    )
    assert await count(db, handled) == distinct
    queued = select(func.count()).select_from(EventRow).where(EventRow.topic == "payments.webhook_received")
    assert await count(db, queued) == distinct  # a replay queued nothing
