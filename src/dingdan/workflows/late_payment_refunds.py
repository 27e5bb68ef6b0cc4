"""Money back for payments that cannot pay for their order (S-PAY-5): most often a payment
captured after the order expired unpaid and was cancelled. Such a payment never reserves
stock again (payment_webhooks flags it `needs_refund` and writes `order.payment_needs_refund`).

1. `order.payment_needs_refund` with `auto_refund` (the flag reason is refunded by itself and
   `DINGDAN_AUTO_REFUND_LATE_PAYMENTS` is on, decided when the capture arrived) →
   `queue_late_payment_refund` writes a pending refund of what the payment holds, keyed by the
   payment (scope "late_payment"), in the event handler's transaction: a redelivered event, a
   replayed webhook or a second notice of the capture finds the same refund.
2. The `settle_late_payment_refunds` job calls the provider for each pending one, outside any
   transaction, with the refund's own idempotency key: after a crash between 1 and 2, or a
   timeout, the next round asks again and the provider refunds once.
3. Staff refund a flagged payment in one click (`refund_flagged_payment`): the same step 1
   (answering the refund already queued, if any), then the provider at once.

Alerts to staff and the customer's notice come from the same event (notify_staff,
notify_customers).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import ProviderRegistry
from dingdan.payments.errors import PaymentNotRefundable, RefundExceedsCaptured, UnknownPayment
from dingdan.platform.db import Database
from dingdan.platform.events import Event
from dingdan.workflows import refund_order

SCOPE = "late_payment"
AUTO_ACTOR = "system:auto-refund"


async def queue_late_payment_refund(session: AsyncSession, event: Event) -> None:
    if not event.payload.get("auto_refund") or event.payload.get("payment_id") is None:
        return
    payment_id = int(event.payload["payment_id"])
    try:
        await refund_order.start_payment_refund(
            session, payment_id=payment_id, reason=str(event.payload.get("reason") or ""),
            actor=AUTO_ACTOR, scope=SCOPE, automatic=True,
        )  # fmt: skip
    except (PaymentNotRefundable, RefundExceedsCaptured) as refused:  # staff were quicker
        await orders.record_timeline(
            session, event.aggregate_id, "order.auto_refund_skipped", AUTO_ACTOR,
            payment_id=payment_id, reason=str(refused),
        )  # fmt: skip


async def refund_flagged_payment(
    db: Database, providers: ProviderRegistry, *, number: str, payment_id: int, actor: str
) -> dict[str, Any]:
    """The console's one click: refund what the flagged payment still holds, once."""
    call = await db.write(_start_by_hand, number=number, payment_id=payment_id, actor=actor)
    return await refund_order.call_provider(db, providers, call)


async def _start_by_hand(
    session: AsyncSession, *, number: str, payment_id: int, actor: str
) -> refund_order.RefundCall:
    payment = await payments.get_payment(session, payment_id=payment_id)
    if payment.order_number != number:
        raise UnknownPayment(
            "no payment {payment_id} on order {number}",
            params={"payment_id": payment_id, "number": number},
            field="payment_id",
        )
    return await refund_order.start_payment_refund(
        session, payment_id=payment_id, reason=payment.flag_reason, actor=actor, scope=SCOPE
    )


async def settle_late_payment_refunds(db: Database) -> int:
    """Scheduled: one round of provider calls for queued late-payment refunds."""
    return await refund_order.settle_pending_refunds(db, scope=SCOPE)
