"""Scheduled work: (name, every how many seconds, job). Run in-process by default; with
several processes, one scheduler runs them (see docs/deploy.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dingdan.notifications.digest import send_staff_digests
from dingdan.notifications.sender import send_due_notifications
from dingdan.platform.db import Database
from dingdan.workflows.aftersales_refunds import settle_aftersales_refunds
from dingdan.workflows.complete_delivered import complete_delivered_orders
from dingdan.workflows.expire_unpaid import expire_unpaid_orders
from dingdan.workflows.forget_webhooks import forget_old_webhooks
from dingdan.workflows.late_payment_refunds import settle_late_payment_refunds
from dingdan.workflows.parcel_jobs import flag_stuck_parcels, poll_carriers
from dingdan.workflows.payment_webhooks import apply_parked_events
from dingdan.workflows.place_order import forget_expired_keys


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    every_seconds: float
    run: Callable[[Database], Awaitable[object]]


JOBS: list[ScheduledJob] = [
    ScheduledJob("expire_unpaid_orders", 30, expire_unpaid_orders),
    ScheduledJob("flag_stuck_parcels", 600, flag_stuck_parcels),
    ScheduledJob("poll_carriers", 120, poll_carriers),
    ScheduledJob("complete_delivered_orders", 3600, complete_delivered_orders),
    ScheduledJob("forget_expired_idempotency_keys", 3600, forget_expired_keys),
    ScheduledJob("send_notifications", 5, send_due_notifications),
    ScheduledJob("send_staff_digests", 600, send_staff_digests),
    ScheduledJob("settle_aftersales_refunds", 30, settle_aftersales_refunds),
    ScheduledJob("settle_late_payment_refunds", 30, settle_late_payment_refunds),
    ScheduledJob("apply_parked_payment_events", 30, apply_parked_events),
    ScheduledJob("purge_old_webhook_deliveries", 3600, forget_old_webhooks),  # all kinds of receipt
]
