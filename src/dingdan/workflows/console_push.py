"""Tell open console pages what just happened: new orders, status changes, low stock,
payments to refund.

The handler only forwards a small summary of the event to a live feed (see web/live.py);
the page decides how to show it. Publishing is fire-and-forget: a page that was closed
misses nothing it needs, it reads the current state when it is opened again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders.states import OrderStatus
from dingdan.platform.events import Event, Handler

Publish = Callable[[dict[str, Any]], Awaitable[None]]
TOPICS = (
    "order.placed",
    "order.edited",
    "order.corrected",
    "inventory.low_stock",
    "order.payment_needs_refund",  # money to send back: the console beeps
    "order.refunded",
    *(f"order.{status.value}" for status in OrderStatus),
)


def summary(event: Event) -> dict[str, Any]:
    payload = event.payload
    message: dict[str, Any] = {
        "id": event.id,
        "topic": event.topic,
        "kind": event.aggregate_type,
        "ref": event.aggregate_id,
        "actor": event.actor,
        "at": event.created_at.isoformat() if event.created_at else None,
    }
    if event.aggregate_type == "order":
        message["seq"] = payload.get("seq")  # the page ignores an event older than the row it shows
        message["status"] = payload.get("to_status")
        message["total"] = payload.get("total")
        message["channel"] = payload.get("channel")
    else:
        message["available"] = payload.get("available")
        message["threshold"] = payload.get("threshold")
    return message


def console_push(publish: Publish) -> Handler:
    async def push(_session: AsyncSession, event: Event) -> None:
        await publish(summary(event))

    return push
