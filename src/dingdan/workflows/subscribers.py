"""Which workflow reacts to which event. Wired once, in main.create_app."""

from __future__ import annotations

from dingdan.platform.events import Subscribers
from dingdan.workflows import console_push
from dingdan.workflows.allocate_backorders import on_stock_adjusted


def build_subscribers(live: console_push.Publish | None = None) -> Subscribers:
    subscribers = Subscribers()
    subscribers.on("inventory.adjusted", "allocate_backorders", on_stock_adjusted)
    if live is not None:
        for topic in console_push.TOPICS:
            subscribers.on(topic, "console_push", console_push.console_push(live))
    return subscribers
