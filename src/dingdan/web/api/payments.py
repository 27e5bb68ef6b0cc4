"""Payments over HTTP: provider webhooks in, and the staff's refunds of an order."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from dingdan.orders import service as orders
from dingdan.orders.schemas import Amount, Strict, Text500
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import ProviderRegistry
from dingdan.web.api.orders import NumberPath, parse_idempotency_key
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, OrdersManage, OrdersRead
from dingdan.workflows.payment_webhooks import receive_webhook
from dingdan.workflows.refund_order import refund_order, refund_view, retry_refund

webhooks = APIRouter(prefix="/webhooks/payments", tags=["payments"])
router = APIRouter(prefix="/api/v1/orders", tags=["payments"])


class RefundIn(Strict):
    amount: Amount | None = None
    reason: Text500 = ""


class RefundOut(BaseModel):
    id: int
    order_number: str
    amount: str
    status: str
    provider_refund_id: str | None
    reason: str
    actor: str
    created_at: str


class PaymentsOut(BaseModel):
    payments: list[dict[str, Any]]
    refunds: list[RefundOut]


def providers_of(request: Request) -> ProviderRegistry:
    registry: ProviderRegistry = request.app.state.payment_providers
    return registry


@webhooks.post(
    "/{provider}",
    responses=problems(400, 401, 404),
    summary="A provider's signed webhook (Standard Webhooks headers); replays change nothing",
)
async def receive(provider: Annotated[str, Path(max_length=32)], request: Request, db: DB) -> Response:
    adapter = providers_of(request).get(provider)
    secrets: list[str] = request.app.state.payment_webhook_secrets.get(provider, [])
    outcome = await receive_webhook(
        db, provider=adapter, headers=dict(request.headers), body=await request.body(), secrets=secrets
    )
    return json_response({"outcome": outcome})


@router.post(
    "/{number}/refunds",
    status_code=201,
    response_model=RefundOut,
    responses=problems(401, 403, 404, 409, 422, 502, 504),
    summary="Refund all (no amount) or part of the order's captured payment",
)
async def post_refund(
    number: NumberPath,
    data: RefundIn,
    request: Request,
    db: DB,
    who: OrdersManage,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key", description="the same key never refunds twice; retry a timeout with it"
        ),
    ] = None,
) -> Response:
    key = parse_idempotency_key(idempotency_key)
    refund = await refund_order(
        db,
        providers_of(request),
        number=number,
        amount=Decimal(data.amount) if data.amount is not None else None,
        reason=data.reason,
        actor=who.actor,
        request=(who.scope, key) if key else None,
    )
    return json_response(refund, status=201)


@router.post(
    "/{number}/refunds/{refund_id}/retry",
    response_model=RefundOut,
    responses=problems(401, 403, 404, 409, 502, 504),
    summary="Ask the provider again about a pending refund, with the same idempotency key",
)
async def post_refund_retry(
    number: NumberPath,
    refund_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    db: DB,
    _: OrdersManage,
) -> Response:
    return json_response(await retry_refund(db, providers_of(request), number=number, refund_id=refund_id))


@router.get("/{number}/payments", response_model=PaymentsOut, responses=problems(401, 403, 404))
async def get_payments(number: NumberPath, db: DB, _: OrdersRead) -> Response:
    """The order's payments (with any refund flag) and refunds."""
    async with db.read() as session:
        await orders.get_order_row(session, number=number)
        found, refunds = await payments.list_for_orders(session, order_numbers=[number])
    return json_response(
        {
            "payments": [
                {
                    "id": p.id,
                    "provider": p.provider,
                    "provider_payment_id": p.provider_payment_id,
                    "status": p.status,
                    "amount": str(p.amount),
                    "currency": p.currency,
                    "needs_refund": p.needs_refund,
                    "flag_reason": p.flag_reason,
                    "created_at": p.created_at.isoformat(),
                }
                for p in found
            ],
            "refunds": [refund_view(r) for r in refunds],
        }
    )
