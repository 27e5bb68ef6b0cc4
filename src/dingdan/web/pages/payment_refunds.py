"""The one-click refund of a payment flagged `needs_refund` (see payment_view for where the
console shows such payments): for staff who may refund (orders.manage)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dingdan.auth.rules import Permission
from dingdan.payments.adapters.base import ProviderRegistry, RefundStatus
from dingdan.platform.errors import DomainError
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.order_page import after
from dingdan.web.pages.session import staff_page
from dingdan.workflows.late_payment_refunds import refund_flagged_payment

router = APIRouter(prefix="/console/orders", include_in_schema=False)
Manager = Annotated[Principal, Depends(staff_page(Permission.ORDERS_MANAGE))]


@router.post("/{number}/payments/{payment_id}/refund", dependencies=[Depends(verify_csrf)])
async def refund_payment(
    request: Request,
    number: str,
    payment_id: int,
    db: DB,
    who: Manager,
    back: Annotated[str, Form()] = "",
) -> Response:
    """One click: refund all the flagged payment still holds; a second click refunds nothing."""
    providers: ProviderRegistry = request.app.state.payment_providers
    try:
        refund = await refund_flagged_payment(
            db, providers, number=number[:20], payment_id=min(payment_id, 2**62), actor=who.actor
        )
    except DomainError as error:
        return after(back, number, error=error.code)
    done = "refunded" if refund["status"] == RefundStatus.SUCCEEDED.value else "refund-" + refund["status"]
    return after(back, number, done=done)
