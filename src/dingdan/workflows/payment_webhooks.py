"""Provider webhooks: verified before anything is written, acknowledged once recorded, then
processed once per event id by the event relay (off the request path).

payment.succeeded moves the order from 待付款 to review or confirmed (orders.rules); a payment
that arrives for a cancelled or already paid order is recorded and flagged for a refund — it
never re-reserves stock; late_payment_refunds refunds it (by itself for a cancelled order,
when the shop allows it) and the notifications tell staff and the customer. Refund events
settle our own pending refunds (the provider's echo).

A payment event can arrive before we know the payment: the provider may call back before our
own transaction storing its id has committed. Such an event is acknowledged and parked, and
applied when the payment is attached (`attach_payment`) or by the `apply_parked_events` job.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.channels import service as channels
from dingdan.orders import rules as order_rules
from dingdan.orders import service as orders
from dingdan.orders.errors import OrderNotFound
from dingdan.orders.states import OrderStatus, PaymentStatus
from dingdan.payments import rules as payment_rules
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import PaymentProvider, ProviderEvent, ProviderEventType, RefundStatus
from dingdan.payments.adapters.standard_webhooks import SECRET_PREFIX
from dingdan.payments.models import Payment
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.events import Event
from dingdan.platform.settings import Settings, get_settings
from dingdan.workflows.refund_order import record_refund_outcome
from dingdan.workflows.webhook_intake import record_delivery

PAYMENT_EVENTS = {
    ProviderEventType.PAYMENT_SUCCEEDED,
    ProviderEventType.PAYMENT_FAILED,
    ProviderEventType.PAYMENT_EXPIRED,
}


def sandbox_webhook_secrets(settings: Settings) -> list[str]:
    """The configured sandbox secret, or one derived from the installation's secret key."""
    if settings.sandbox_webhook_secret:
        return [settings.sandbox_webhook_secret]
    key = hmac.new(settings.resolved_secret_key().encode(), b"sandbox-webhook", hashlib.sha256).digest()
    return [SECRET_PREFIX + base64.b64encode(key).decode("ascii")]


async def receive_webhook(
    db: Database, *, provider: PaymentProvider, headers: Mapping[str, str], body: bytes, secrets: list[str]
) -> str:
    """Verify (raises 401/400 and writes nothing), then record the event for processing in a
    short transaction: "accepted", or "duplicate" for a replay (which changes nothing)."""
    event = provider.parse_webhook(headers, body, secrets, clock.now())
    accepted = await record_delivery(
        db, partial(payments.accept_webhook, provider=provider.code, event=event)
    )
    return "accepted" if accepted else "duplicate"


async def process_webhook(session: AsyncSession, received: Event) -> None:
    """Subscriber of payments.webhook_received: apply the event, keep what it did on its receipt."""
    provider_code = received.payload["provider"]
    event = ProviderEvent.from_payload(received.payload["event"])
    outcome = await apply_event(session, provider_code=provider_code, event=event)
    await payments.record_webhook_outcome(
        session, provider=provider_code, event_id=event.event_id, outcome=outcome
    )


async def apply_event(session: AsyncSession, *, provider_code: str, event: ProviderEvent) -> str:
    """Apply a received event (run once per event by the relay); returns what happened."""
    if event.type in PAYMENT_EVENTS:
        return await _apply_payment_event(session, provider_code, event)
    refund = await payments.find_refund_by_provider_id(
        session, provider_refund_id=event.provider_refund_id or ""
    )
    if refund is None:
        return "unknown_refund"
    status = (
        RefundStatus.SUCCEEDED if event.type is ProviderEventType.REFUND_SUCCEEDED else RefundStatus.FAILED
    )
    await record_refund_outcome(
        session, refund=refund, status=status, provider_refund_id=refund.provider_refund_id
    )
    return "applied"


async def _apply_payment_event(session: AsyncSession, provider_code: str, event: ProviderEvent) -> str:
    payment = await _find_payment(session, provider_code, event)
    if payment is None:
        payments.park_event(session, provider=provider_code, event=event)
        return "parked"
    if not payments.apply_payment_event(payment, event.type):
        return "unchanged"
    actor = f"provider:{provider_code}"
    if event.type is ProviderEventType.PAYMENT_SUCCEEDED:
        await _on_captured(session, payment, event, actor)
    elif event.type is ProviderEventType.PAYMENT_FAILED:
        await orders.record_timeline(
            session, payment.order_number, "order.payment_failed", actor, payment_id=payment.id
        )
    await session.flush()
    return "applied"


async def _find_payment(session: AsyncSession, provider_code: str, event: ProviderEvent) -> Payment | None:
    payment = await payments.find_by_provider_id(
        session, provider=provider_code, provider_payment_id=event.provider_payment_id
    )
    if payment is None and event.order_number:
        # attach_payment holds the order's row while it stores the provider id: once we hold
        # it, the payment is either known or that transaction will find this event parked.
        with contextlib.suppress(OrderNotFound):
            await orders.get_order_row(session, number=event.order_number, for_update=True)
            payment = await payments.find_by_provider_id(
                session, provider=provider_code, provider_payment_id=event.provider_payment_id
            )
    return payment


async def attach_payment(
    session: AsyncSession,
    *,
    order_number: str,
    payment_id: int,
    provider_payment_id: str,
    redirect_url: str,
    expires_at: datetime,
) -> int:
    """Store the provider's id on our payment, then apply the events that came before it;
    returns how many were waiting."""
    await orders.get_order_row(session, number=order_number, for_update=True)
    payment = await payments.attach_provider_session(
        session,
        payment_id=payment_id,
        provider_payment_id=provider_payment_id,
        redirect_url=redirect_url,
        expires_at=expires_at,
    )
    return await apply_parked(
        session, provider_code=payment.provider, provider_payment_id=provider_payment_id
    )


async def apply_parked(session: AsyncSession, *, provider_code: str, provider_payment_id: str) -> int:
    parked = await payments.take_parked_events(
        session, provider=provider_code, provider_payment_id=provider_payment_id
    )
    for event in parked:
        await _apply_payment_event(session, provider_code, event)
    return len(parked)


async def apply_parked_events(db: Database) -> int:
    """Scheduled: parked events whose payment has appeared since (e.g. stored by another
    process) are applied. Safe to repeat: each parked event is taken once."""
    async with db.read() as session:
        known = await payments.list_parked_now_known(session)
    applied = 0
    for provider_code, provider_payment_id in known:
        applied += await db.write(
            apply_parked, provider_code=provider_code, provider_payment_id=provider_payment_id
        )
    return applied


async def _on_captured(session: AsyncSession, payment: Payment, event: ProviderEvent, actor: str) -> None:
    order = await orders.get_order_row(session, number=payment.order_number, for_update=True)
    details: dict[str, Any] = {
        "payment_id": payment.id,
        "amount": str(event.amount),
        "provider": payment.provider,
    }
    problem = _refund_reason(order, payment, event)
    if problem:
        payments.flag_for_refund(payment, problem)
        if order["payment_status"] == PaymentStatus.UNPAID.value:
            await orders.update_fields(
                session, order=order, values={"payment_status": PaymentStatus.PAID.value}
            )
        auto = payment_rules.refunds_by_itself(problem, allowed=get_settings().auto_refund_late_payments)
        await orders.record_timeline(
            session, order["number"], "order.payment_needs_refund", actor,
            reason=problem, auto_refund=auto, currency=payment.currency, **details,
        )  # fmt: skip
        return
    channel = await channels.get_channel(session, code=order["channel_code"])
    target = order_rules.status_after_payment(
        has_issues=bool(order["review_issues"]), auto_confirm=channel.auto_confirm
    )
    await orders.record_timeline(session, order["number"], "order.paid", actor, **details)
    await orders.transition(
        session,
        order=order,
        to=target,
        actor=actor,
        reason="paid",
        changes={"payment_status": PaymentStatus.PAID.value},
    )


def _refund_reason(order: Mapping[Any, Any], payment: Payment, event: ProviderEvent) -> str:
    """Why this captured payment cannot pay for the order (so it must go back), or ""."""
    if event.amount != payment.amount or event.currency != payment.currency:
        return "amount_mismatch"
    if order["status"] == OrderStatus.CANCELLED.value:
        return "order_cancelled"
    if (
        order["status"] != OrderStatus.PENDING_PAYMENT.value
        or order["payment_status"] != PaymentStatus.UNPAID.value
    ):
        return "order_already_paid"
    return ""
