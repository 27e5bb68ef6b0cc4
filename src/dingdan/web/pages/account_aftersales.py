"""After-sales on the order page (/account/orders/{number}): ask for a return or refund with a
photo, withdraw it, review an item with a photo (曬單), write to customer service, and see my
photos. Each form posts here and comes back to the order page; a refusal shows the page again
with the values sent and the message next to the field. The fields are checked by the JSON
API's own models, so both refuse the same values."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from dingdan.aftersales.errors import PhotoNotFound
from dingdan.aftersales.rules import RequestKind
from dingdan.orders.errors import OrderNotFound
from dingdan.platform.errors import DomainError
from dingdan.web.api.aftersales import photo_response
from dingdan.web.api.my_aftersales import MessageIn, RequestIn, ReviewIn
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.account_orders import refused_page
from dingdan.web.pages.account_session import PortalCustomer
from dingdan.web.pages.portal_forms import FormState
from dingdan.web.pages.templating import render
from dingdan.workflows import my_aftersales, order_reviews, order_threads
from dingdan.workflows.aftersales_flow import RequestedLine
from dingdan.workflows.customer_access import CustomerRef

router = APIRouter(prefix="/account", include_in_schema=False)
CSRF = [Depends(verify_csrf)]
Step = Callable[[AsyncSession, CustomerRef], Awaitable[Any]]
FormText = Annotated[str, Form(max_length=10_000)]


def me(who: Principal) -> CustomerRef:
    return my_aftersales.customer_ref(who.id, who.label)


async def photo_bytes(photo: UploadFile | None) -> bytes | None:
    """An empty file input (nothing chosen) is no photo."""
    if photo is None or not photo.filename:
        return None
    data = await photo.read()
    return data or None


async def _act(
    request: Request, db: DB, who: Principal, number: str, step: Step, form: FormState | None = None
) -> Response:
    try:
        await db.write(lambda session: step(session, me(who)))
    except OrderNotFound:
        return render(request, "account/not_found.html", {"number": number}, status=404)
    except DomainError as exc:
        return await refused_page(request, db, who, number, exc, form)
    return RedirectResponse(f"/account/orders/{number}#aftersales", status_code=303)


@router.post("/orders/{number}/returns", dependencies=CSRF)
async def request_return(
    number: str,
    request: Request,
    db: DB,
    who: PortalCustomer,
    kind: FormText = "",
    line_no: FormText = "",
    quantity: FormText = "",
    reason: FormText = "",
    photo: UploadFile | None = None,
) -> Response:
    number, data = number[:20], await photo_bytes(photo)
    sent = {"kind": kind, "line_no": line_no, "quantity": quantity, "reason": reason, "photo": ""}
    form = FormState("return", sent, aliases={"lines": "quantity"})
    lines = [{"line_no": line_no, "quantity": quantity}]
    try:
        asked = RequestIn.model_validate({"kind": kind, "lines": lines, "reason": reason})
    except ValidationError as exc:
        return await refused_page(request, db, who, number, exc, form)

    async def step(session: AsyncSession, customer: CustomerRef) -> None:
        made = await my_aftersales.open_request(
            session, order_number=number, customer=customer, kind=RequestKind(asked.kind),
            lines=[RequestedLine(ln.line_no, ln.quantity) for ln in asked.lines], reason=asked.reason,
        )  # fmt: skip
        if data is not None:
            await my_aftersales.add_request_photo(
                session, order_number=number, number=made["number"], customer=customer, data=data
            )

    return await _act(request, db, who, number, step, form)


@router.post("/orders/{number}/returns/{request_number}/withdraw", dependencies=CSRF)
async def withdraw(
    number: str, request_number: str, request: Request, db: DB, who: PortalCustomer
) -> Response:
    number = number[:20]

    async def step(session: AsyncSession, customer: CustomerRef) -> None:
        await my_aftersales.withdraw(
            session, order_number=number, number=request_number[:24], customer=customer
        )

    return await _act(request, db, who, number, step)


@router.post("/orders/{number}/reviews", dependencies=CSRF)
async def review(
    number: str,
    request: Request,
    db: DB,
    who: PortalCustomer,
    line_no: FormText = "",
    stars: FormText = "",
    text: FormText = "",
    photo: UploadFile | None = None,
) -> Response:
    number, data = number[:20], await photo_bytes(photo)
    form = FormState(f"review-{line_no}", {"stars": stars, "text": text, "photo": ""})
    try:
        review_in = ReviewIn.model_validate({"line_no": line_no, "stars": stars, "text": text})
    except ValidationError as exc:
        return await refused_page(request, db, who, number, exc, form)

    async def step(session: AsyncSession, customer: CustomerRef) -> None:
        written = await my_aftersales.post_review(
            session, order_number=number, customer=customer, line_no=review_in.line_no,
            stars=review_in.stars, text=review_in.text,
        )  # fmt: skip
        if data is not None:
            await my_aftersales.add_review_photo(
                session, order_number=number, review_id=written["id"], customer=customer, data=data
            )

    return await _act(request, db, who, number, step, form)


@router.post("/orders/{number}/messages", dependencies=CSRF)
async def message(
    number: str, request: Request, db: DB, who: PortalCustomer, body: FormText = ""
) -> Response:
    number = number[:20]
    form = FormState("message", {"body": body})
    try:
        message_in = MessageIn.model_validate({"body": body})
    except ValidationError as exc:
        return await refused_page(request, db, who, number, exc, form)

    async def step(session: AsyncSession, customer: CustomerRef) -> None:
        await order_threads.post_customer_message(
            session, order_number=number, customer=customer, body=message_in.body
        )

    return await _act(request, db, who, number, step, form)


@router.get("/photos/{token}")
async def photo(token: str, db: DB, who: PortalCustomer) -> Response:
    try:
        async with db.read() as session:
            found = await order_reviews.read_photo(session, token=token[:40], customer=me(who))
    except PhotoNotFound:
        return Response("not found", status_code=404, media_type="text/plain")
    return photo_response(found.data, found.content_type, found.id)
