"""A replayed webhook is recognised from its committed receipt without waiting for the relay:
while the relay's batch holds the original's receipt (recording what processing did), the
replay is still answered at once (S-WH-6: deliveries are recorded together, so one waiting
replay held back every acknowledgement of its intake transaction)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from dingdan.payments import service as payments
from dingdan.payments.models import WebhookReceipt
from dingdan.platform.db import Database
from workflows.test_forget_webhooks import payment_event

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]

HOLD_SECONDS = 3.0


async def test_a_replay_is_answered_while_the_relay_holds_the_original_receipt(db: Database):
    event = payment_event("evt_held")
    assert await db.write(payments.accept_webhook, provider="sandbox", event=event)
    outcome_recorded, release = asyncio.Event(), asyncio.Event()

    async def relay_batch_still_running(session) -> None:
        await payments.record_webhook_outcome(
            session, provider="sandbox", event_id=event.event_id, outcome="parked"
        )
        outcome_recorded.set()
        await asyncio.wait_for(release.wait(), HOLD_SECONDS)

    relay = asyncio.create_task(db.write(relay_batch_still_running))
    await outcome_recorded.wait()
    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        replay = await db.write(payments.accept_webhook, provider="sandbox", event=event)
        took = loop.time() - began
        fresh = await db.write(payments.accept_webhook, provider="sandbox", event=payment_event("evt_fresh"))
    finally:
        release.set()
        await relay
    assert replay is False
    assert fresh is True
    assert took < HOLD_SECONDS / 3  # did not wait for the relay's transaction
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookReceipt)) == 2
        outcome = await payments.webhook_outcome(session, provider="sandbox", event_id=event.event_id)
    assert outcome == "parked"  # the replay changed nothing
