"""S-WH-8: received webhooks are remembered for the retention (8 days unless configured, never
under 7), then purged hourly in bounded batches; the purge removes nothing younger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from dingdan.channels import service as channels
from dingdan.channels.models import WebhookDelivery
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import ProviderEvent, ProviderEventType
from dingdan.payments.models import WebhookReceipt
from dingdan.platform import clock
from dingdan.platform.settings import Settings, get_settings
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import ParsedPush
from dingdan.shipping.models import PushReceipt
from dingdan.workflows import forget_webhooks
from dingdan.workflows.forget_webhooks import forget_old_webhooks
from dingdan.workflows.schedule import JOBS
from intake.conftest import make_channel

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def payment_event(name: str) -> ProviderEvent:
    return ProviderEvent(
        event_id=name,
        type=ProviderEventType.PAYMENT_SUCCEEDED,
        provider_payment_id=f"pay_{name}",
        amount=Decimal("100"),
        currency="TWD",
        occurred_at=clock.now(),
    )


async def receive_one_of_each(db, name: str) -> None:
    """A payment event, a carrier push and a marketplace delivery received now."""
    await db.write(payments.accept_webhook, provider="sandbox", event=payment_event(name))
    push = ParsedPush(carrier="sim", tracking_number=f"TN-{name}", events=())
    await db.write(shipping.accept_push, push=push, push_id=name)
    await db.write(channels.remember_delivery, code="shopify-tw", delivery_id=name, order_number=None)


async def kept(db) -> dict[str, set[str]]:
    async with db.read() as session:
        return {
            "payments": set(await session.scalars(select(WebhookReceipt.event_id))),
            "carriers": set(await session.scalars(select(PushReceipt.push_id))),
            "marketplaces": set(await session.scalars(select(WebhookDelivery.delivery_id))),
        }


@pytest.fixture
def frozen():
    moving = clock.FrozenClock(START)
    clock.set_clock(moving)
    return moving


async def test_s_wh_8_the_purge_removes_only_receipts_past_the_retention(db, frozen):
    await make_channel(db, "shopify-tw")
    await receive_one_of_each(db, "old")
    frozen.advance(days=3)
    await receive_one_of_each(db, "recent")
    frozen.advance(days=5, minutes=1)  # "old" is 8 days and a minute old, "recent" 5 days
    assert await forget_old_webhooks(db) == 3
    assert await kept(db) == {"payments": {"recent"}, "carriers": {"recent"}, "marketplaces": {"recent"}}
    assert await forget_old_webhooks(db) == 0


async def test_s_wh_8_receipts_are_kept_7_days_at_the_shortest_retention(db, frozen, monkeypatch):
    monkeypatch.setenv("DINGDAN_WEBHOOK_RETENTION_DAYS", "7")
    get_settings.cache_clear()
    try:
        await make_channel(db, "shopify-tw")
        await receive_one_of_each(db, "first")
        frozen.advance(days=6, hours=23)
        assert await forget_old_webhooks(db) == 0
        frozen.advance(hours=1, minutes=1)
        assert await forget_old_webhooks(db) == 3
    finally:
        monkeypatch.delenv("DINGDAN_WEBHOOK_RETENTION_DAYS")
        get_settings.cache_clear()


async def test_s_wh_8_the_purge_deletes_in_bounded_batches(db, frozen, monkeypatch):
    monkeypatch.setattr(forget_webhooks, "PURGE_BATCH", 2)
    for index in range(5):
        await db.write(payments.accept_webhook, provider="sandbox", event=payment_event(f"e{index}"))
    frozen.advance(days=9)
    deleted_per_batch: list[int] = []
    forget = payments.forget_webhooks_before

    async def counting(session, **kwargs):
        deleted_per_batch.append(await forget(session, **kwargs))
        return deleted_per_batch[-1]

    assert await forget_webhooks.forget_in_batches(db, counting, forget_webhooks.retention_cutoff()) == 5
    assert deleted_per_batch == [2, 2, 1]
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookReceipt)) == 0


def test_s_wh_8_the_purge_runs_hourly():
    (job,) = [job for job in JOBS if job.run is forget_old_webhooks]
    assert job.every_seconds == 3600


def test_s_wh_8_a_retention_under_7_days_is_refused_with_a_clear_error():
    assert Settings().webhook_retention_days == 8
    assert Settings(webhook_retention_days=7).webhook_retention_days == 7
    with pytest.raises(ValidationError, match="DINGDAN_WEBHOOK_RETENTION_DAYS must be at least 7"):
        Settings(webhook_retention_days=6.9)
