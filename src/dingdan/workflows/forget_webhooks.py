"""Forgetting webhook receipts: payment events, carrier pushes and marketplace deliveries are
remembered for DINGDAN_WEBHOOK_RETENTION_DAYS (at least 7, longer than the providers' 3-day
retries and manual redeliveries), so a redelivery within that time is recognised as a duplicate.
Older receipts are deleted hourly, a bounded batch per transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.channels import service as channels
from dingdan.payments import service as payments
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings
from dingdan.shipping import service as shipping

PURGE_BATCH = 1000  # receipts deleted per transaction: the writer is free between batches
Forget = Callable[..., Awaitable[int]]
KINDS: tuple[Forget, ...] = (
    payments.forget_webhooks_before,
    shipping.forget_pushes_before,
    channels.forget_deliveries_before,
)


def retention_cutoff() -> datetime:
    """Receipts received before this are past the retention."""
    return clock.now() - timedelta(days=get_settings().webhook_retention_days)


async def forget_old_webhooks(db: Database) -> int:
    """Scheduled (hourly): delete every kind of receipt past the retention; returns how many."""
    before = retention_cutoff()
    return sum([await forget_in_batches(db, forget, before) for forget in KINDS])


async def forget_in_batches(db: Database, forget: Forget, before: datetime) -> int:
    forgotten = 0
    while True:
        removed = await db.write(_forget_one_batch, forget, before)
        forgotten += removed
        if removed < PURGE_BATCH:
            return forgotten


async def _forget_one_batch(session: AsyncSession, forget: Forget, before: datetime) -> int:
    return await forget(session, before=before, limit=PURGE_BATCH)
