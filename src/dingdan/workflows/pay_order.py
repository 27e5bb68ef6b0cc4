"""Paying an order: open a payment with the provider and send the customer to its pay page.

Idempotent: while the order's payment is open, asking again answers with the same payment.
The payment row and its idempotency key are written before the provider is called, so a
retry after a timeout reuses the key and the provider opens the payment at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.orders.customer_queries import get_own_order_row
from dingdan.orders.customer_view import CustomerAction
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import ProviderRegistry
from dingdan.payments.adapters.sandbox import SANDBOX_CODE
from dingdan.platform.db import Database
from dingdan.workflows.customer_orders import require_action
from dingdan.workflows.payment_webhooks import attach_payment


@dataclass(frozen=True)
class PaymentPlan:
    payment_id: int
    provider: str
    idempotency_key: str
    order_number: str
    amount: Any
    currency: str
    redirect_url: str


async def pay_order(
    db: Database,
    providers: ProviderRegistry,
    *,
    number: str,
    customer_id: int,
    return_url: str,
    provider_code: str = SANDBOX_CODE,
) -> dict[str, Any]:
    """{"payment_id", "redirect_url", "status"} for the customer's order waiting for payment."""
    provider = providers.get(provider_code)
    plan = await db.write(_prepare, number=number, customer_id=customer_id, provider_code=provider_code)
    if not plan.redirect_url:
        opened = await provider.create_payment(
            plan.order_number, plan.amount, plan.currency, return_url, plan.idempotency_key
        )
        await db.write(
            attach_payment,
            order_number=plan.order_number,
            payment_id=plan.payment_id,
            provider_payment_id=opened.provider_payment_id,
            redirect_url=opened.redirect_url,
            expires_at=opened.expires_at,
        )
        plan = PaymentPlan(**{**plan.__dict__, "redirect_url": opened.redirect_url})
    return {"payment_id": plan.payment_id, "redirect_url": plan.redirect_url, "status": "pending"}


async def _prepare(
    session: AsyncSession, *, number: str, customer_id: int, provider_code: str
) -> PaymentPlan:
    order = await get_own_order_row(session, number=number, customer_id=customer_id, for_update=True)
    require_action(order, CustomerAction.PAY, "this order is not waiting for an online payment")
    payment = await payments.find_open_payment(session, order_number=number)
    if payment is None or payment.provider != provider_code:
        payment = await payments.open_payment(
            session,
            order_number=number,
            provider=provider_code,
            amount=order["total"],
            currency=order["currency"],
        )
        await orders.record_timeline(
            session, number, "order.payment_started", f"customer:{customer_id}", payment_id=payment.id
        )
    return PaymentPlan(
        payment.id,
        payment.provider,
        payment.idempotency_key,
        number,
        payment.amount,
        payment.currency,
        payment.redirect_url,
    )
