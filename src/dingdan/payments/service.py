"""Payment entry points: payment rows, webhook receipts and refunds. Flush, never commit.

A provider is never called from here: workflows call it between two transactions, with the
idempotency key this module stored on the row first.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.payments import events as topics
from dingdan.payments import rules
from dingdan.payments.adapters.base import ProviderEvent, ProviderEventType, RefundStatus
from dingdan.payments.errors import PaymentNotRefundable, UnknownPayment
from dingdan.payments.models import ParkedEvent, Payment, Refund, WebhookReceipt
from dingdan.payments.rules import PaymentStatus
from dingdan.platform import clock, events, retention

CAPTURED = [s.value for s in rules.CAPTURED_STATUSES]

RECEIPTS = cast(Table, WebhookReceipt.__table__)


async def find_open_payment(session: AsyncSession, *, order_number: str) -> Payment | None:
    """The order's payment still waiting for the customer (not expired), if any."""
    stmt = (
        select(Payment)
        .where(Payment.order_number == order_number, Payment.status == PaymentStatus.PENDING.value)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    payment = await session.scalar(stmt)
    if payment is None or (payment.expires_at is not None and payment.expires_at <= clock.now()):
        return None
    return payment


async def open_payment(
    session: AsyncSession, *, order_number: str, provider: str, amount: Decimal, currency: str
) -> Payment:
    """A new pending payment row with the idempotency key its provider call will carry."""
    rules.ensure_amount(amount)
    tries = await session.scalar(select(func.count()).where(Payment.order_number == order_number))
    at = clock.now()
    payment = Payment(
        order_number=order_number,
        provider=provider,
        idempotency_key=f"pay:{order_number}:{(tries or 0) + 1}",
        amount=amount,
        currency=currency,
        status=PaymentStatus.PENDING.value,
        redirect_url="",
        needs_refund=False,
        flag_reason="",
        created_at=at,
        updated_at=at,
    )
    session.add(payment)
    await session.flush()
    return payment


async def attach_provider_session(
    session: AsyncSession,
    *,
    payment_id: int,
    provider_payment_id: str,
    redirect_url: str,
    expires_at: datetime,
) -> Payment:
    payment = await get_payment(session, payment_id=payment_id)
    payment.provider_payment_id = provider_payment_id
    payment.redirect_url = redirect_url
    payment.expires_at = expires_at
    payment.updated_at = clock.now()
    await session.flush()
    return payment


async def get_payment(session: AsyncSession, *, payment_id: int, for_update: bool = False) -> Payment:
    stmt = select(Payment).where(Payment.id == payment_id)
    payment = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if payment is None:
        raise UnknownPayment("no payment {payment_id}", params={"payment_id": payment_id}, field="payment_id")
    return payment


async def find_by_provider_id(
    session: AsyncSession, *, provider: str, provider_payment_id: str
) -> Payment | None:
    stmt = select(Payment).where(
        Payment.provider == provider, Payment.provider_payment_id == provider_payment_id
    )
    return await session.scalar(stmt.with_for_update())


def _claim_webhook_statement(insert_for_dialect: Callable[[Table], Any]) -> Any:
    """INSERT .. SELECT .. WHERE NOT EXISTS .. ON CONFLICT DO NOTHING. The NOT EXISTS sees a
    committed receipt and inserts nothing; ON CONFLICT alone would wait on the receipt's row
    while the relay's batch holds it (recording the outcome), and with it every delivery of
    the intake transaction (S-WH-6: a replay arriving during a relay batch stalled all acks)."""
    columns = ("provider", "event_id", "event_type", "provider_payment_id", "received_at")  # outcome NULL
    values = [bindparam(name, type_=RECEIPTS.c[name].type) for name in columns]
    received_before = exists().where(
        RECEIPTS.c.provider == bindparam("provider"), RECEIPTS.c.event_id == bindparam("event_id")
    )
    new_receipt = select(*values).where(~received_before)
    return (
        insert_for_dialect(RECEIPTS)
        .from_select(columns, new_receipt)
        .on_conflict_do_nothing()
        .returning(RECEIPTS.c.event_id)
    )


# Built once: a webhook burst runs it hundreds of times a second.
_CLAIM_WEBHOOK = {
    "postgresql": _claim_webhook_statement(pg_insert),
    "sqlite": _claim_webhook_statement(sqlite_insert),
}


async def claim_webhook(session: AsyncSession, *, provider: str, event: ProviderEvent) -> bool:
    """Records the event as received; False when it was received before (a replay), found
    without waiting for a transaction that holds its receipt."""
    values = {
        "provider": provider,
        "event_id": event.event_id,
        "event_type": event.type.value,
        "provider_payment_id": event.provider_payment_id,
        "received_at": clock.now(),
    }
    claimed = await session.execute(_CLAIM_WEBHOOK[session.get_bind().dialect.name], values)
    return claimed.first() is not None


async def accept_webhook(session: AsyncSession, *, provider: str, event: ProviderEvent) -> bool:
    """Records a verified event as received and queues its processing (an outbox event, in this
    same transaction); False for a replay, which changes nothing."""
    if not await claim_webhook(session, provider=provider, event=event):
        return False
    events.record(
        session,
        events.Event(
            topic=topics.WEBHOOK_RECEIVED,
            aggregate_type="payment_webhook",
            aggregate_id=provider,
            payload={"provider": provider, "event": event.to_payload()},
            actor=f"provider:{provider}",
        ),
    )
    return True


async def record_webhook_outcome(
    session: AsyncSession, *, provider: str, event_id: str, outcome: str
) -> None:
    await session.execute(
        update(WebhookReceipt)
        .where(WebhookReceipt.provider == provider, WebhookReceipt.event_id == event_id)
        .values(outcome=outcome)
    )


async def webhook_outcome(session: AsyncSession, *, provider: str, event_id: str) -> str | None:
    """What processing did with a received event; None when not received or not processed yet."""
    return await session.scalar(
        select(WebhookReceipt.outcome).where(
            WebhookReceipt.provider == provider, WebhookReceipt.event_id == event_id
        )
    )


async def has_unprocessed_webhook(session: AsyncSession, *, order_number: str) -> bool:
    """True while a provider's word on this order's payment is received but not yet applied
    (webhooks are answered first and processed just after): the customer who has just paid
    sees "payment being confirmed", not "awaiting payment"."""
    waiting = (
        select(WebhookReceipt.event_id)
        .join(
            Payment,
            and_(
                Payment.provider == WebhookReceipt.provider,
                Payment.provider_payment_id == WebhookReceipt.provider_payment_id,
            ),
        )
        .where(Payment.order_number == order_number, WebhookReceipt.outcome.is_(None))
        .limit(1)
    )
    return (await session.execute(waiting)).first() is not None


async def forget_webhooks_before(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Deletes at most `limit` receipts received before `before`, oldest first."""
    return await retention.delete_oldest(
        session, RECEIPTS, key=("provider", "event_id"), stamp="received_at", before=before, limit=limit
    )


def park_event(session: AsyncSession, *, provider: str, event: ProviderEvent) -> None:
    """Keep an event whose payment is not known yet (claim_webhook already deduped it)."""
    session.add(
        ParkedEvent(
            provider=provider,
            event_id=event.event_id,
            event_type=event.type.value,
            provider_payment_id=event.provider_payment_id,
            provider_refund_id=event.provider_refund_id,
            order_number=event.order_number,
            amount=event.amount,
            currency=event.currency,
            occurred_at=event.occurred_at,
            received_at=clock.now(),
            applied_at=None,
        )
    )


async def take_parked_events(
    session: AsyncSession, *, provider: str, provider_payment_id: str
) -> list[ProviderEvent]:
    """The parked events of a payment that is now known, oldest first, marked as applied
    (the caller applies them in this transaction)."""
    stmt = (
        select(ParkedEvent)
        .where(
            ParkedEvent.provider == provider,
            ParkedEvent.provider_payment_id == provider_payment_id,
            ParkedEvent.applied_at.is_(None),
        )
        .order_by(ParkedEvent.occurred_at, ParkedEvent.received_at)
        .with_for_update()
    )
    parked = list((await session.scalars(stmt)).all())
    for row in parked:
        row.applied_at = clock.now()
    await session.flush()
    return [
        ProviderEvent(
            event_id=row.event_id,
            type=ProviderEventType(row.event_type),
            provider_payment_id=row.provider_payment_id,
            amount=row.amount,
            currency=row.currency,
            occurred_at=row.occurred_at,
            provider_refund_id=row.provider_refund_id,
            order_number=row.order_number,
        )
        for row in parked
    ]


async def list_parked_now_known(session: AsyncSession, *, limit: int = 200) -> list[tuple[str, str]]:
    """(provider, provider payment id) of parked events whose payment has appeared since."""
    stmt = (
        select(ParkedEvent.provider, ParkedEvent.provider_payment_id)
        .join(
            Payment,
            (Payment.provider == ParkedEvent.provider)
            & (Payment.provider_payment_id == ParkedEvent.provider_payment_id),
        )
        .where(ParkedEvent.applied_at.is_(None))
        .distinct()
        .limit(limit)
    )
    return [(provider, payment_id) for provider, payment_id in await session.execute(stmt)]


def apply_payment_event(payment: Payment, event_type: ProviderEventType) -> bool:
    """Moves the payment per the event; True when its status changed."""
    before = PaymentStatus(payment.status)
    after = rules.status_after_payment_event(before, event_type)
    if after is before:
        return False
    payment.status = after.value
    payment.updated_at = clock.now()
    return True


def flag_for_refund(payment: Payment, reason: str) -> None:
    payment.needs_refund = True
    payment.flag_reason = reason[:200]


async def lock_captured_payment(session: AsyncSession, *, order_number: str) -> Payment:
    """The order's captured payment, locked, so two refunds cannot spend the same remainder."""
    stmt = (
        select(Payment)
        .where(Payment.order_number == order_number, Payment.status.in_(CAPTURED))
        .order_by(Payment.id.desc())
        .limit(1)
        .with_for_update()
    )
    payment = await session.scalar(stmt)
    if payment is None:
        raise PaymentNotRefundable("this order has no captured payment to refund", field="amount")
    return payment


async def refund_totals(session: AsyncSession, *, payment_id: int) -> tuple[Decimal, Decimal]:
    """(refunded, pending) for a payment."""
    stmt = (
        select(Refund.status, func.sum(Refund.amount))
        .where(Refund.payment_id == payment_id)
        .group_by(Refund.status)
    )
    totals = {status.value: Decimal(0) for status in RefundStatus}
    for status, amount in await session.execute(stmt):
        totals[status] = amount
    return totals[RefundStatus.SUCCEEDED.value], totals[RefundStatus.PENDING.value]


async def find_refund_by_request(session: AsyncSession, *, scope: str, key: str) -> Refund | None:
    stmt = select(Refund).where(Refund.request_scope == scope, Refund.request_key == key)
    return await session.scalar(stmt)


async def get_refund(session: AsyncSession, *, refund_id: int, for_update: bool = False) -> Refund:
    stmt = select(Refund).where(Refund.id == refund_id)
    refund = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if refund is None:
        raise UnknownPayment("no refund {refund_id}", params={"refund_id": refund_id}, field="refund_id")
    return refund


async def start_refund(
    session: AsyncSession,
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    actor: str,
    request: tuple[str, str] | None = None,
) -> Refund:
    """A pending refund row, checked against what is still refundable. Call with `payment`
    locked (lock_captured_payment); the provider key is stored before the provider is called."""
    amount = rules.ensure_amount(amount).quantize(rules.CENT)  # as stored: the provider key's amount
    refunded, pending = await refund_totals(session, payment_id=payment.id)
    rules.check_refund(amount, captured=payment.amount, refunded=refunded, pending=pending)
    at = clock.now()
    refund = Refund(
        payment_id=payment.id,
        order_number=payment.order_number,
        amount=amount,
        status=RefundStatus.PENDING.value,
        idempotency_key=f"refund:{secrets.token_hex(12)}",
        request_scope=request[0] if request else None,
        request_key=request[1] if request else None,
        reason=reason,
        actor=actor,
        created_at=at,
        updated_at=at,
    )
    session.add(refund)
    await session.flush()
    return refund


async def settle_refund(
    session: AsyncSession, *, refund: Refund, status: RefundStatus, provider_refund_id: str | None
) -> Payment | None:
    """Records the provider's answer. Returns the payment (its status updated from the refund
    totals) when the refund newly succeeded, else None."""
    if refund.status != RefundStatus.PENDING.value:
        return None
    refund.status = status.value
    refund.provider_refund_id = provider_refund_id or refund.provider_refund_id
    refund.updated_at = clock.now()
    await session.flush()
    if status is not RefundStatus.SUCCEEDED:
        return None
    payment = await get_payment(session, payment_id=refund.payment_id, for_update=True)
    refunded, _pending = await refund_totals(session, payment_id=payment.id)
    payment.status = rules.status_after_refunds(payment.amount, refunded).value
    payment.updated_at = clock.now()
    await session.flush()
    return payment


async def list_refunds_of(session: AsyncSession, *, payment_id: int, scope: str) -> list[Refund]:
    """The refunds of one payment asked for in `scope`, oldest first."""
    stmt = (
        select(Refund)
        .where(Refund.payment_id == payment_id, Refund.request_scope == scope)
        .order_by(Refund.id)
    )
    return list((await session.scalars(stmt)).all())


async def list_needing_refund(session: AsyncSession, *, limit: int = 50) -> list[Payment]:
    """Captured payments flagged `needs_refund` that still hold money, oldest first."""
    stmt = (
        select(Payment)
        .where(
            Payment.needs_refund,  # as the partial index ix_payments_payment_needs_refund says it
            Payment.status.in_([PaymentStatus.PAID.value, PaymentStatus.PARTIALLY_REFUNDED.value]),
        )
        .order_by(Payment.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def find_refund_by_provider_id(session: AsyncSession, *, provider_refund_id: str) -> Refund | None:
    stmt = select(Refund).where(Refund.provider_refund_id == provider_refund_id)
    return await session.scalar(stmt.with_for_update())


async def list_for_orders(
    session: AsyncSession, *, order_numbers: Sequence[str]
) -> tuple[list[Payment], list[Refund]]:
    """Every payment and refund of the given orders, oldest first (two statements)."""
    if not order_numbers:
        return [], []
    payments = await session.execute(
        select(Payment).where(Payment.order_number.in_(order_numbers)).order_by(Payment.id)
    )
    refunds = await session.execute(
        select(Refund).where(Refund.order_number.in_(order_numbers)).order_by(Refund.id)
    )
    return list(payments.scalars()), list(refunds.scalars())
