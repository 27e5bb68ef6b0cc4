"""Which workflow reacts to which event. Wired once, in main.create_app."""

from __future__ import annotations

from dingdan.payments import events as payment_topics
from dingdan.platform.events import Subscribers
from dingdan.shipping import events as shipping_topics
from dingdan.workflows import (
    aftersales_refunds,
    console_push,
    late_payment_refunds,
    payment_webhooks,
    track_parcels,
)
from dingdan.workflows.allocate_backorders import on_stock_adjusted
from dingdan.workflows.notify_codes import CODE_TOPICS, send_code
from dingdan.workflows.notify_customers import CUSTOMER_TOPICS, notify_customers
from dingdan.workflows.notify_staff import STAFF_TOPICS, notify_staffs


def build_subscribers(live: console_push.Publish | None = None) -> Subscribers:
    subscribers = Subscribers()
    subscribers.on(payment_topics.WEBHOOK_RECEIVED, "apply_payment_webhook", payment_webhooks.process_webhook)
    subscribers.on(shipping_topics.PUSH_RECEIVED, "apply_carrier_push", track_parcels.process_push)
    subscribers.on("inventory.adjusted", "allocate_backorders", on_stock_adjusted)
    for topic in CUSTOMER_TOPICS:
        subscribers.on_batch(topic, "notify_customer", notify_customers)
    for topic in CODE_TOPICS:
        subscribers.on(topic, "send_code", send_code)
    for topic in STAFF_TOPICS:
        subscribers.on_batch(topic, "notify_staff", notify_staffs)
    subscribers.on(
        "aftersales.refund_requested", "start_aftersales_refund", aftersales_refunds.start_aftersales_refund
    )
    subscribers.on(
        "order.refunded", "complete_refunded_request", aftersales_refunds.complete_refunded_request
    )
    subscribers.on(
        "order.payment_needs_refund",
        "queue_late_payment_refund",
        late_payment_refunds.queue_late_payment_refund,
    )
    if live is not None:
        for topic in console_push.TOPICS:
            subscribers.on(topic, "console_push", console_push.console_push(live))
    return subscribers
