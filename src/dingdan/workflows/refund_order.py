"""Refunding an order, in full or in part, through the provider that captured the payment.

1. Under a row lock on the payment, check the amount against captured − refunded − pending
   and write a pending refund with its provider idempotency key (one transaction).
2. Call the provider with that key (no transaction open).
3. Record the answer: the refund, the payment's and the order's payment status, the timeline.

A timeout leaves the refund pending; retrying (same Idempotency-Key, or the retry route) calls
the provider again with the SAME key, so the money goes back at most once.

Refunds written inside an event handler (after-sales, late payments) are left pending there;
`settle_pending_refunds` calls the provider for them later, through the app's providers
(`use_payment_providers`), outside any transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.payments import rules as payment_rules
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import ProviderRegistry, RefundStatus
from dingdan.payments.errors import PaymentNotRefundable, ProviderUnavailable, RefundExceedsCaptured
from dingdan.payments.models import Refund
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError, NotFound

BATCH = 50
log = logging.getLogger(__name__)
_providers: ProviderRegistry | None = None


def use_payment_providers(registry: ProviderRegistry | None) -> None:
    """The providers the scheduled jobs refund through (the app's own registry)."""
    global _providers  # noqa: PLW0603
    _providers = registry


@dataclass(frozen=True)
class RefundCall:
    refund_id: int
    status: str
    provider: str
    provider_payment_id: str
    amount: Decimal
    idempotency_key: str


async def refund_order(
    db: Database,
    providers: ProviderRegistry,
    *,
    number: str,
    amount: Decimal | None,
    reason: str,
    actor: str,
    request: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Refund `amount` (None: all that is left) of the order's captured payment."""
    call = await db.write(_start, number=number, amount=amount, reason=reason, actor=actor, request=request)
    return await call_provider(db, providers, call)


async def start_refund(
    session: AsyncSession, *, number: str, amount: Decimal, reason: str, actor: str, request: tuple[str, str]
) -> RefundCall:
    """Step 1 alone, in the caller's transaction (an event handler); `retry_refund` calls the
    provider later, outside any transaction. The same `request` gives the same refund."""
    return await _start(session, number=number, amount=amount, reason=reason, actor=actor, request=request)


async def start_payment_refund(
    session: AsyncSession, *, payment_id: int, reason: str, actor: str, scope: str, automatic: bool = False
) -> RefundCall:
    """All that is left of one payment flagged `needs_refund`, in the caller's transaction.

    One refund per payment and scope: under the payment's row lock, a pending or succeeded
    refund asked for before is answered again (a redelivered event, a second click, the
    automatic refund and a person at once); only after a failed attempt is a new one written.
    """
    payment = await payments.get_payment(session, payment_id=payment_id, for_update=True)
    if not payment.needs_refund:
        raise PaymentNotRefundable("this payment is not waiting for a refund", field="payment_id")
    earlier = await payments.list_refunds_of(session, payment_id=payment.id, scope=scope)
    live = [r for r in earlier if r.status != RefundStatus.FAILED.value]
    if live:
        return await _call_for(session, live[-1])
    refunded, pending = await payments.refund_totals(session, payment_id=payment.id)
    amount = payment_rules.refundable(payment.amount, refunded, pending)
    if amount <= 0:
        raise RefundExceedsCaptured(Decimal("0.01"), amount)
    key = payment_rules.flagged_refund_key(payment.id, failed_before=len(earlier))
    refund = await payments.start_refund(
        session, payment=payment, amount=amount, reason=reason, actor=actor, request=(scope, key)
    )
    await orders.record_timeline(
        session, payment.order_number, "order.refund_requested", actor, refund_id=refund.id,
        amount=str(amount), reason=reason, payment_id=payment.id, automatic=automatic,
    )  # fmt: skip
    return await _call_for(session, refund)


async def settle_pending_refunds(db: Database, *, scope: str) -> int:
    """One round of provider calls for the pending refunds of `scope`, each with its own
    idempotency key; returns how many got an answer. Safe to repeat, and after a crash."""
    if _providers is None:
        return 0
    stmt = (
        select(Refund.order_number, Refund.id)
        .where(Refund.request_scope == scope, Refund.status == RefundStatus.PENDING.value)
        .order_by(Refund.id)
        .limit(BATCH)
    )
    async with db.read() as session:
        waiting = [(number, refund_id) for number, refund_id in await session.execute(stmt)]
    answered = 0
    for number, refund_id in waiting:
        try:
            await retry_refund(db, _providers, number=number, refund_id=refund_id)
        except DomainError as failed:  # unreachable or timed out: the next round asks again
            log.warning("%s refund %s of %s: %s", scope, refund_id, number, failed)
            continue
        answered += 1
    return answered


async def retry_refund(
    db: Database, providers: ProviderRegistry, *, number: str, refund_id: int
) -> dict[str, Any]:
    async with db.read() as session:
        refund = await payments.get_refund(session, refund_id=refund_id)
        if refund.order_number != number:
            raise NotFound(
                "no refund {refund_id} on order {number}",
                params={"refund_id": refund_id, "number": number},
                field="refund_id",
            )
        call = await _call_for(session, refund)
    return await call_provider(db, providers, call)


async def _start(
    session: AsyncSession,
    *,
    number: str,
    amount: Decimal | None,
    reason: str,
    actor: str,
    request: tuple[str, str] | None,
) -> RefundCall:
    await orders.get_order_row(session, number=number)
    if request is not None:
        earlier = await payments.find_refund_by_request(session, scope=request[0], key=request[1])
        if earlier is not None:
            return await _call_for(session, earlier)
    payment = await payments.lock_captured_payment(session, order_number=number)
    if amount is None:
        refunded, pending = await payments.refund_totals(session, payment_id=payment.id)
        amount = payment_rules.refundable(payment.amount, refunded, pending)
        if amount <= 0:
            raise RefundExceedsCaptured(Decimal("0.01"), amount)
    refund = await payments.start_refund(
        session, payment=payment, amount=amount, reason=reason, actor=actor, request=request
    )
    await orders.record_timeline(
        session,
        number,
        "order.refund_requested",
        actor,
        refund_id=refund.id,
        amount=str(amount),
        reason=reason,
    )
    return await _call_for(session, refund)


async def _call_for(session: AsyncSession, refund: Refund) -> RefundCall:
    payment = await payments.get_payment(session, payment_id=refund.payment_id)
    if payment.provider_payment_id is None:
        raise PaymentNotRefundable("the payment was never opened with its provider", field="amount")
    return RefundCall(
        refund.id,
        refund.status,
        payment.provider,
        payment.provider_payment_id,
        refund.amount,
        refund.idempotency_key,
    )


async def call_provider(db: Database, providers: ProviderRegistry, call: RefundCall) -> dict[str, Any]:
    if call.status != RefundStatus.PENDING.value:
        return await _view(db, call.refund_id)
    provider = providers.get(call.provider)
    try:
        result = await provider.refund(call.provider_payment_id, call.amount, call.idempotency_key)
    except (ProviderUnavailable, RefundExceedsCaptured, PaymentNotRefundable):
        await db.write(_settle, refund_id=call.refund_id, status=RefundStatus.FAILED, provider_refund_id=None)
        raise
    await db.write(
        _settle, refund_id=call.refund_id, status=result.status, provider_refund_id=result.provider_refund_id
    )
    return await _view(db, call.refund_id)


async def _settle(
    session: AsyncSession, *, refund_id: int, status: RefundStatus, provider_refund_id: str | None
) -> None:
    refund = await payments.get_refund(session, refund_id=refund_id, for_update=True)
    await record_refund_outcome(session, refund=refund, status=status, provider_refund_id=provider_refund_id)


async def record_refund_outcome(
    session: AsyncSession, *, refund: Refund, status: RefundStatus, provider_refund_id: str | None
) -> None:
    """Settles a pending refund once; a later answer for a settled refund changes nothing."""
    if refund.status != RefundStatus.PENDING.value:
        return
    payment = await payments.settle_refund(
        session, refund=refund, status=status, provider_refund_id=provider_refund_id
    )
    actor = refund.actor
    if payment is None:
        if status is RefundStatus.FAILED:
            await orders.record_timeline(
                session, refund.order_number, "order.refund_failed", actor, refund_id=refund.id
            )
        return
    order = await orders.get_order_row(session, number=refund.order_number, for_update=True)
    await orders.update_fields(
        session,
        order=order,
        values={"payment_status": payment.status},
        event=orders.TimelineEvent(
            "order.refunded",
            actor,
            {"refund_id": refund.id, "amount": str(refund.amount), "payment_status": payment.status},
        ),
    )


async def _view(db: Database, refund_id: int) -> dict[str, Any]:
    async with db.read() as session:
        refund = await payments.get_refund(session, refund_id=refund_id)
    return refund_view(refund)


def refund_view(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "order_number": refund.order_number,
        "amount": str(refund.amount),
        "status": refund.status,
        "provider_refund_id": refund.provider_refund_id,
        "reason": refund.reason,
        "actor": refund.actor,
        "created_at": refund.created_at.isoformat(),
    }
