"""What the console shows of an order's payments, and of the payments that must go back
(flagged `needs_refund` and still holding the customer's money)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.payments import service as payments
from dingdan.payments.adapters.base import RefundStatus
from dingdan.payments.models import Payment, Refund
from dingdan.payments.rules import CAPTURED_STATUSES, PaymentStatus
from dingdan.workflows.late_payment_refunds import SCOPE

STILL_HELD = frozenset({PaymentStatus.PAID.value, PaymentStatus.PARTIALLY_REFUNDED.value})


def payment_rows(found: Sequence[Payment], refunds: Sequence[Refund]) -> list[dict[str, Any]]:
    """What the console shows of each payment: its flag and where its refund stands
    (`queued`: pending at the provider, `failed`, `refunded`, or "" when none was asked)."""
    rows = []
    for payment in found:
        mine = [r for r in refunds if r.payment_id == payment.id and r.request_scope == SCOPE]
        state = ""
        if mine:
            state = {RefundStatus.PENDING.value: "queued", RefundStatus.SUCCEEDED.value: "refunded"}.get(
                mine[-1].status, "failed"
            )
        rows.append(
            {
                "id": payment.id,
                "order_number": payment.order_number,
                "amount": payment.amount,
                "currency": payment.currency,
                "status": payment.status,
                "captured": payment.status in {s.value for s in CAPTURED_STATUSES},
                "needs_refund": payment.needs_refund,
                "flag_reason": payment.flag_reason,
                "refund_state": state,
                "refundable": payment.needs_refund and payment.status in STILL_HELD,
                "created_at": payment.created_at,
            }
        )
    return rows


async def payments_to_refund(session: AsyncSession) -> list[dict[str, Any]]:
    """Flagged payments that still hold the customer's money, oldest first."""
    found = await payments.list_needing_refund(session)
    _, refunds = await payments.list_for_orders(session, order_numbers=[p.order_number for p in found])
    return payment_rows(found, refunds)


async def payments_of_order(session: AsyncSession, number: str) -> list[dict[str, Any]]:
    found, refunds = await payments.list_for_orders(session, order_numbers=[number])
    return payment_rows(found, refunds)
