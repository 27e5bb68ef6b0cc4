"""Customer notifications: each status change a customer cares about becomes one SMS and one
e-mail (per their choice) in the delivery log, in the same transaction as the event handling.

The dedupe key names the order, the kind of message and the parcel or refund it is about, so
a redelivered event, or a second event about the same change, sends nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.notifications import preferences, service
from dingdan.notifications.message_templates import FLAG_REASON_WORDS, Locale, MessageKind
from dingdan.notifications.outlets import get_outlets
from dingdan.notifications.rules import Channel, dedupe_key, to_e164
from dingdan.notifications.templates import render
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform.events import Event
from dingdan.platform.settings import get_settings
from dingdan.shipping import service as shipping
from dingdan.shipping.errors import ShipmentNotFound

K = MessageKind
# Topics with one fixed message, named as the order timeline records them: payments write
# `order.paid` / `order.refunded`, shipping one `order.parcel_shipped` per parcel, then
# `order.parcel_status` for each parcel status change and `order.parcel_exception` when a
# problem case opens. `order.placed` and `order.parcel_status` are decided by their payload.
MESSAGE_OF_TOPIC: dict[str, MessageKind] = {
    "order.confirmed": K.ORDER_CONFIRMED,
    "order.paid": K.ORDER_PAID,
    "order.parcel_shipped": K.ORDER_SHIPPED,
    "order.parcel_exception": K.DELIVERY_EXCEPTION,
    "order.refunded": K.REFUND_ISSUED,
    "order.payment_needs_refund": K.PAYMENT_TO_BE_REFUNDED,  # paid after the order was cancelled
}
MESSAGE_OF_PARCEL_STATUS: dict[str, MessageKind] = {
    "out_for_delivery": K.OUT_FOR_DELIVERY,
    "delivered": K.DELIVERED,
}
# Orders moved by hand, without parcels in dingdan, still tell the customer; with parcels the
# per-parcel messages above say it (with the tracking number), so these stay silent.
MESSAGE_WITHOUT_PARCELS: dict[str, MessageKind] = {
    "order.shipped": K.ORDER_SHIPPED,
    "order.partially_shipped": K.ORDER_SHIPPED,
    "order.delivered": K.DELIVERED,
}
CUSTOMER_TOPICS = ("order.placed", "order.parcel_status", *MESSAGE_OF_TOPIC, *MESSAGE_WITHOUT_PARCELS)
PLACED_MESSAGE = {
    OrderStatus.PENDING_PAYMENT.value: K.ORDER_RECEIVED,
    OrderStatus.CONFIRMED.value: K.ORDER_CONFIRMED,
}
# Messages that may come more than once per order: keyed by what they are about.
PER_PARCEL = frozenset({K.ORDER_SHIPPED, K.OUT_FOR_DELIVERY, K.DELIVERED})
PER_EVENT = frozenset({K.DELIVERY_EXCEPTION, K.REFUND_ISSUED, K.PAYMENT_TO_BE_REFUNDED})
# Messages that say how far the order (or a parcel) has come. One whose event is older than a
# progress message already sent about the same order or parcel is stale and not sent
# (docs/decisions/0005): events may be handled out of order. Payment, refund and exception
# messages are facts that stay true, and always go.
PROGRESS = frozenset({K.ORDER_RECEIVED, K.ORDER_CONFIRMED, *PER_PARCEL})


def is_superseded(kind: MessageKind, event: Event, sent: Sequence[service.SentAbout]) -> bool:
    """True when a progress message about a later change of the same order or parcel (or of
    the order as a whole) is already in the log."""
    seq = event.payload.get("seq")
    if kind not in PROGRESS or not isinstance(seq, int):
        return False
    parcel = event.payload.get("tracking_number") or None
    return any(
        earlier.seq is not None
        and earlier.seq > seq
        and (parcel is None or not earlier.tracking_number or earlier.tracking_number == parcel)
        for earlier in sent
    )


def order_number_of(event: Event) -> str | None:
    if event.aggregate_type == "order":
        return event.aggregate_id
    number = event.payload.get("order_number")
    return str(number) if number else None


def message_for(event: Event) -> MessageKind | None:
    if event.topic == "order.placed":
        return PLACED_MESSAGE.get(str(event.payload.get("to_status")))
    if event.topic == "order.parcel_status":
        return MESSAGE_OF_PARCEL_STATUS.get(str(event.payload.get("parcel_to")))
    return MESSAGE_OF_TOPIC.get(event.topic) or MESSAGE_WITHOUT_PARCELS.get(event.topic)


def change_key(number: str, kind: MessageKind, event: Event) -> str:
    if kind in PER_EVENT:
        about = f"event:{event.id}"
    elif kind in PER_PARCEL:
        about = str(event.payload.get("tracking_number") or "")
    else:
        about = ""
    return f"order:{number}:{kind.value}:{about}"


async def with_carrier(session: AsyncSession, event: Event) -> Event:
    """Parcel events name the parcel by id and tracking number; the message names the courier too."""
    shipment_id = event.payload.get("shipment_id")
    if event.payload.get("carrier") or not shipment_id:
        return event
    try:
        shipment = await shipping.get_shipment(session, shipment_id=int(shipment_id))
    except ShipmentNotFound:
        return event
    return replace(event, payload={**event.payload, "carrier": shipment["carrier"]})


def message_context(order: Mapping[Any, Any], event: Event) -> dict[str, Any]:
    settings = get_settings()
    payload = event.payload
    return {
        "shop_name": settings.shop_name,
        "customer_name": order["customer_name"],
        "order_number": order["number"],
        "total": order["total"],
        "placed_at": order["created_at"],
        "pay_by": order["created_at"] + timedelta(minutes=settings.unpaid_timeout_minutes),
        "amount": Decimal(str(payload["amount"])) if payload.get("amount") else order["total"],
        "carrier": str(payload.get("carrier") or "-"),
        "tracking_number": str(payload.get("tracking_number") or "-"),
        "delivered_at": event.created_at or order["updated_at"],
        "exception_reason": str(
            payload.get("reason") or payload.get("cause") or payload.get("exception_reason") or "-"
        ),
        "currency": order["currency"],
        "time_zone": settings.time_zone,
        "action_url": f"/account/orders/{order['number']}",
    }


async def notify_customers(session: AsyncSession, batch: list[Event]) -> None:
    """The messages of a relay batch: one read of the orders, one of the customers' choices and
    one insert for the whole batch; only parcel and out-of-order events read more."""
    wanted = [(event, message_for(event), order_number_of(event)) for event in batch]
    found = await orders.get_order_rows(
        session, numbers={number for _, kind, number in wanted if kind and number}
    )
    ready: list[tuple[Event, MessageKind, Mapping[Any, Any]]] = []
    for event, kind, number in wanted:
        row = found.get(number or "")
        if kind is None or row is None or await _stays_silent(session, event, kind, row):
            continue
        ready.append((await with_carrier(session, event), kind, row))
    choices = await preferences.get_customer_choices(
        session, [(order["customer_id"], order["customer_phone"]) for _, _, order in ready]
    )
    outgoing: dict[str, service.Outgoing] = {}
    for (event, kind, order), choice in zip(ready, choices, strict=True):
        for message in _messages(event, kind, order, choice):
            outgoing.setdefault(message.dedupe_key, message)
    await service.enqueue(session, list(outgoing.values()))


async def _stays_silent(
    session: AsyncSession, event: Event, kind: MessageKind, order: Mapping[Any, Any]
) -> bool:
    """A hand-moved status of an order with parcels (their own messages say it), or a progress
    message older than one already sent."""
    if event.topic in MESSAGE_WITHOUT_PARCELS and await shipping.list_for_order(
        session, order_id=order["id"]
    ):
        return True
    seq = event.payload.get("seq")
    if kind not in PROGRESS or not isinstance(seq, int) or order["version"] <= seq:
        return False  # nothing came after this event
    sent = await service.list_sent_about_order(
        session, order_number=order["number"], order_id=order["id"], templates=[k.value for k in PROGRESS]
    )
    return is_superseded(kind, event, sent)


def _messages(
    event: Event, kind: MessageKind, order: Mapping[Any, Any], choice: preferences.CustomerChoice
) -> list[service.Outgoing]:
    context = message_context(order, event)
    if kind is K.PAYMENT_TO_BE_REFUNDED:
        reason = str(event.payload.get("reason") or "")
        context["reason"] = FLAG_REASON_WORDS[Locale(choice.locale)].get(reason, reason)
    message = render(kind, choice.locale, context)
    source = change_key(order["number"], kind, event)
    recipients: list[tuple[Channel, str]] = []
    if choice.email and order["customer_email"] and get_outlets().email_enabled:
        recipients.append((Channel.EMAIL, order["customer_email"]))
    phone = to_e164(order["customer_phone"]) if choice.sms and order["customer_phone"] else None
    if phone:
        recipients.append((Channel.SMS, phone))
    return [
        service.Outgoing(
            dedupe_key(source, channel, recipient),
            channel,
            recipient,
            kind.value,
            choice.locale,
            message,
            order_number=order["number"],
            event_id=event.id,
        )
        for channel, recipient in recipients
    ]
