"""The reports' reactions to events. main.create_app adds them to the workflows' subscribers:
reports and workflows are sibling layers that do not import each other."""

from __future__ import annotations

from dingdan.platform.events import Subscribers
from dingdan.reports.rollups import on_order_events

HANDLER_NAME = "reports_rollups"


def register(subscribers: Subscribers) -> None:
    # Every topic: any event on an order (placed, status changes, refunds, parcels, edits, and
    # topics other domains add later) refreshes that order's contribution; others are ignored.
    subscribers.on_batch("*", HANDLER_NAME, on_order_events)
