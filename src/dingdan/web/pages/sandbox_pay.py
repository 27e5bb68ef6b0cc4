"""The sandbox provider's hosted pay page: the customer picks pay or fail, the sandbox settles
the payment and sends its signed webhook to /webhooks/payments/sandbox, then sends the
customer back to the shop. Like a real provider's page, it needs no shop login."""

from __future__ import annotations

from typing import Annotated, Literal

import httpx
from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from dingdan.payments.adapters.sandbox import SANDBOX_CODE, SandboxProvider, build_webhook
from dingdan.platform import clock
from dingdan.platform.money import format_money
from dingdan.web.csrf import verify_csrf
from dingdan.web.pages.templating import render

router = APIRouter(prefix="/payments/sandbox", tags=["payments"], include_in_schema=False)
PaymentId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_]+$")]


def sandbox_of(request: Request) -> SandboxProvider:
    provider = request.app.state.payment_providers.get(SANDBOX_CODE)
    assert isinstance(provider, SandboxProvider)
    return provider


@router.get("/{payment_id}", response_class=HTMLResponse)
async def pay_page(payment_id: PaymentId, request: Request) -> Response:
    payment = sandbox_of(request).get_payment(payment_id)
    context = {"payment": payment, "amount": format_money(payment.amount, payment.currency)}
    return render(request, "payments/sandbox_pay.html", context)


@router.post("/{payment_id}", dependencies=[Depends(verify_csrf)])
async def settle(
    payment_id: PaymentId,
    request: Request,
    outcome: Annotated[Literal["succeed", "fail"], Form()],
) -> Response:
    sandbox = sandbox_of(request)
    event = sandbox.complete_payment(payment_id, succeeded=outcome == "succeed")
    secrets: list[str] = request.app.state.payment_webhook_secrets[SANDBOX_CODE]
    headers, body = build_webhook(event, secrets[0], clock.now())
    # Delivered through the webhook route itself (in-process), exactly as the provider would.
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        answer = await http.post(f"/webhooks/payments/{SANDBOX_CODE}", content=body, headers=headers)
    answer.raise_for_status()
    return RedirectResponse(sandbox.get_payment(payment_id).return_url, status_code=303)
