"""Merchant alerts: new order, order needing review, low stock, parcel exception, return
request and a payment to refund (captured for a cancelled or already paid order) reach the
staff whose role handles them — always in the console, and by e-mail at once or in a daily
digest, per each staff member's choice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.auth.models import Staff
from dingdan.auth.rules import PERMISSIONS, Permission
from dingdan.catalog import service as catalog
from dingdan.notifications import preferences, service
from dingdan.notifications.message_templates import FLAG_REASON_WORDS, Locale, MessageKind
from dingdan.notifications.models import AlertMode, DeliveryStatus
from dingdan.notifications.outlets import get_outlets
from dingdan.notifications.rules import Channel, dedupe_key
from dingdan.notifications.templates import RenderedMessage, render
from dingdan.orders import service as orders
from dingdan.platform.events import Event
from dingdan.platform.settings import get_settings
from dingdan.workflows.notify_customers import order_number_of

K = MessageKind
HANDLED_BY: dict[MessageKind, Permission] = {
    K.NEW_ORDER: Permission.ORDERS_MANAGE,
    K.ORDER_NEEDS_REVIEW: Permission.ORDERS_MANAGE,
    K.LOW_STOCK: Permission.INVENTORY_ADJUST,
    K.PARCEL_EXCEPTION: Permission.SHIPPING_MANAGE,
    K.RETURN_REQUESTED: Permission.SUPPORT_MANAGE,
    K.PAYMENT_NEEDS_REFUND: Permission.ORDERS_MANAGE,  # those who may refund: owner, clerk
    K.PAYMENT_REFUND_QUEUED: Permission.ORDERS_MANAGE,
}
ALERTS_OF_TOPIC: dict[str, tuple[MessageKind, ...]] = {
    "order.placed": (K.NEW_ORDER,),
    "order.pending_review": (K.ORDER_NEEDS_REVIEW,),
    "inventory.low_stock": (K.LOW_STOCK,),
    "order.parcel_exception": (K.PARCEL_EXCEPTION,),
    "aftersales.requested": (K.RETURN_REQUESTED,),
    "order.payment_needs_refund": (K.PAYMENT_NEEDS_REFUND,),
}
STAFF_TOPICS = tuple(ALERTS_OF_TOPIC)
ALL_WAREHOUSES = {"zh-Hant": "全部倉庫", "en": "all warehouses"}


def alerts_for(event: Event) -> tuple[MessageKind, ...]:
    kinds = ALERTS_OF_TOPIC.get(event.topic, ())
    if event.topic == "order.placed" and event.payload.get("to_status") == "pending_review":
        kinds = (*kinds, K.ORDER_NEEDS_REVIEW)
    if event.topic == "order.payment_needs_refund" and event.payload.get("auto_refund"):
        kinds = (K.PAYMENT_REFUND_QUEUED,)
    return kinds


def localized(event: Event, locale: str) -> dict[str, Any]:
    """Context words that depend on the reader's language."""
    words: dict[str, Any] = {"warehouse": str(event.payload.get("warehouse") or ALL_WAREHOUSES[locale])}
    if event.topic == "order.payment_needs_refund":
        reason = str(event.payload.get("reason") or "")
        words["reason"] = FLAG_REASON_WORDS[Locale(locale)].get(reason, reason)
    return words


async def staff_handling(session: AsyncSession, permission: Permission) -> list[tuple[int, str]]:
    # Read once per transaction: the relay alerts for a whole batch of events in one.
    memo: dict[Permission, list[tuple[int, str]]] = session.info.setdefault("dingdan.staff_handling", {})
    if permission not in memo:
        roles = [role.value for role in PERMISSIONS[permission]]
        stmt = select(Staff.id, Staff.email).where(Staff.role.in_(roles), Staff.active.is_(True))
        memo[permission] = [(row.id, row.email) for row in await session.execute(stmt.order_by(Staff.id))]
    return memo[permission]


async def alert_context(
    session: AsyncSession, event: Event, order: Mapping[Any, Any] | None
) -> dict[str, Any]:
    payload = event.payload
    context: dict[str, Any] = {
        "reason": str(payload.get("reason") or ", ".join(payload.get("issues") or []) or "-"),
        "carrier": str(payload.get("carrier") or "-"),
        "tracking_number": str(payload.get("tracking_number") or "-"),
        "exception_reason": str(payload.get("reason") or payload.get("cause") or "-"),
        "time_zone": get_settings().time_zone,
    }
    if order is not None:
        number = order["number"]
        context |= {
            "order_number": number,
            "total": order["total"],
            "currency": order["currency"],
            "channel": order["channel_code"],
            "customer_name": order["customer_name"],
            "action_url": f"/console/orders/{number}",
            "amount": Decimal(str(payload.get("amount") or order["total"])),
        }
    if event.topic == "inventory.low_stock":
        sku = event.aggregate_id
        found = (await catalog.find_sellable(session, skus=[sku])).get(sku)
        context |= {
            "sku": sku,
            "product_name": found.product_name if found else sku,
            "available": int(payload.get("available", 0)),
            "threshold": int(payload.get("threshold", 0)),
            "action_url": f"/console/inventory/{sku}",
        }
    return context


async def notify_staffs(session: AsyncSession, batch: list[Event]) -> None:
    """The alerts of a relay batch: one read of the orders and one insert for the batch."""
    wanted = [(event, kinds, order_number_of(event)) for event in batch if (kinds := alerts_for(event))]
    found = await orders.get_order_rows(session, numbers={number for _, _, number in wanted if number})
    outgoing: list[service.Outgoing] = []
    for event, kinds, number in wanted:
        order = found.get(number) if number else None
        if number and order is None:
            continue  # the order is gone: nothing to point staff at
        context = await alert_context(session, event, order)
        for kind in kinds:
            people = await staff_handling(session, HANDLED_BY[kind])
            outgoing += await _alerts(session, event, kind, context, people)
    await service.enqueue(session, outgoing)


async def _alerts(
    session: AsyncSession,
    event: Event,
    kind: MessageKind,
    context: dict[str, Any],
    people: Sequence[tuple[int, str]],
) -> list[service.Outgoing]:
    memo = session.info.setdefault("dingdan.staff_choices", {})
    wanted = tuple(sid for sid, _ in people)
    if wanted not in memo:
        memo[wanted] = await preferences.get_staff_choices(session, staff_ids=list(wanted))
    choices = memo[wanted]
    email_on = get_outlets().email_enabled
    source = f"event:{event.id}:{kind.value}"
    items = []
    rendered: dict[str, RenderedMessage] = {}
    for staff_id, email in people:
        choice = choices[staff_id]
        if choice.locale not in rendered:
            rendered[choice.locale] = render(
                kind, choice.locale, {**context, **localized(event, choice.locale)}
            )
        message = rendered[choice.locale]
        number = context.get("order_number")
        console = f"staff:{staff_id}"
        items.append(
            service.Outgoing(
                dedupe_key(source, Channel.CONSOLE, console), Channel.CONSOLE, console, kind.value,
                choice.locale, message, number, staff_id, event.id, DeliveryStatus.SENT,
            )
        )  # fmt: skip
        if email_on and choice.email_mode is not AlertMode.OFF:
            held = choice.email_mode is AlertMode.DIGEST
            items.append(
                service.Outgoing(
                    dedupe_key(source, Channel.EMAIL, email), Channel.EMAIL, email, kind.value,
                    choice.locale, message, number, staff_id, event.id,
                    DeliveryStatus.HELD if held else DeliveryStatus.PENDING,
                )
            )  # fmt: skip
    return items
