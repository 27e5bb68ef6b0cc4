"""Money back for after-sales requests (returns, refunds, lost-parcel compensation).

1. `aftersales.refund_requested` → `start_aftersales_refund` writes a pending refund keyed by
   the request (scope "aftersales"), in the event handler's transaction: a redelivered event
   finds the same refund.
2. The `settle_aftersales_refunds` job calls the provider for each pending after-sales refund,
   outside any transaction, always with the refund's own idempotency key.
3. `order.refunded` for such a refund → `complete_refunded_request` closes the request with the
   provider's reference. A refund that fails stays on the order's timeline for staff.

Orders paid on delivery have no captured payment: the request waits for staff to pay back by
hand and complete it.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import service as aftersales
from dingdan.aftersales.rules import RequestStatus
from dingdan.orders import service as orders
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import ProviderRegistry, RefundStatus
from dingdan.payments.errors import PaymentNotRefundable, RefundExceedsCaptured
from dingdan.payments.models import Refund
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError
from dingdan.platform.events import Event
from dingdan.workflows import aftersales_flow, refund_order

SCOPE = "aftersales"
BATCH = 50
log = logging.getLogger(__name__)
_providers: ProviderRegistry | None = None


def use_payment_providers(registry: ProviderRegistry | None) -> None:
    """The providers the scheduled job refunds through (the app's own registry)."""
    global _providers  # noqa: PLW0603
    _providers = registry


async def start_aftersales_refund(session: AsyncSession, event: Event) -> None:
    number, order_number = str(event.payload["request"]), str(event.payload["order_number"])
    try:
        await refund_order.start_refund(
            session, number=order_number, amount=Decimal(str(event.payload["amount"])),
            reason=f"售後 {number}", actor=f"aftersales:{number}", request=(SCOPE, number),
        )  # fmt: skip
    except (PaymentNotRefundable, RefundExceedsCaptured) as refused:
        await orders.record_timeline(
            session, order_number, "order.aftersales_refund_by_hand", event.actor,
            request=number, reason=str(refused),
        )  # fmt: skip


async def complete_refunded_request(session: AsyncSession, event: Event) -> None:
    refund_id = event.payload.get("refund_id")
    if refund_id is None:
        return
    refund = await payments.get_refund(session, refund_id=int(refund_id))
    if refund.request_scope != SCOPE or refund.request_key is None:
        return
    request = await aftersales.get_request(session, number=refund.request_key)
    if request.status != RequestStatus.REFUND_PENDING.value:
        return
    await aftersales_flow.complete(
        session, number=request.number, actor=refund.actor, reference=refund.provider_refund_id or ""
    )


async def pending_refunds(db: Database) -> list[tuple[str, int]]:
    stmt = (
        select(Refund.order_number, Refund.id)
        .where(Refund.request_scope == SCOPE, Refund.status == RefundStatus.PENDING.value)
        .order_by(Refund.id)
        .limit(BATCH)
    )
    async with db.read() as session:
        return [(number, refund_id) for number, refund_id in await session.execute(stmt)]


async def settle_aftersales_refunds(db: Database) -> int:
    """One round of provider calls; returns how many refunds got an answer. Safe to repeat."""
    if _providers is None:
        return 0
    answered = 0
    for number, refund_id in await pending_refunds(db):
        try:
            await refund_order.retry_refund(db, _providers, number=number, refund_id=refund_id)
        except DomainError as failed:  # unreachable or timed out: the next round asks again
            log.warning("after-sales refund %s of %s: %s", refund_id, number, failed)
            continue
        answered += 1
    return answered
