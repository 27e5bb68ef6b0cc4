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

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import service as aftersales
from dingdan.aftersales.rules import RequestStatus
from dingdan.orders import service as orders
from dingdan.payments import service as payments
from dingdan.payments.errors import PaymentNotRefundable, RefundExceedsCaptured
from dingdan.platform.db import Database
from dingdan.platform.events import Event
from dingdan.workflows import aftersales_flow, refund_order

SCOPE = "aftersales"


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


async def settle_aftersales_refunds(db: Database) -> int:
    """One round of provider calls; returns how many refunds got an answer. Safe to repeat."""
    return await refund_order.settle_pending_refunds(db, scope=SCOPE)
