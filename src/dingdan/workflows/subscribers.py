"""Which workflow reacts to which event. Wired once, in main.create_app."""

from __future__ import annotations

from dingdan.platform.events import Subscribers
from dingdan.workflows.allocate_backorders import on_stock_adjusted


def build_subscribers() -> Subscribers:
    subscribers = Subscribers()
    subscribers.on("inventory.adjusted", "allocate_backorders", on_stock_adjusted)
    return subscribers
