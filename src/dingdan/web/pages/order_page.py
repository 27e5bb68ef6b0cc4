"""One order: lines, totals, people, timeline and notes, and the actions its state allows."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.orders import service as orders
from dingdan.orders.states import OPEN_STATUSES, FulfillmentStatus, OrderStatus, can_transition
from dingdan.platform import events
from dingdan.platform.errors import DomainError
from dingdan.platform.settings import get_settings
from dingdan.shipping.documents import render_shipping_notes
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.order_bulk import shipping_note
from dingdan.web.pages.parcel_view import shipping_context
from dingdan.web.pages.payment_view import payments_of_order
from dingdan.web.pages.session import PageForbidden, can, staff_page
from dingdan.web.pages.wording import render_console
from dingdan.workflows.cancel_order import cancel_order
from dingdan.workflows.confirm_order import confirm_order
from dingdan.workflows.order_notes import add_note

router = APIRouter(prefix="/console/orders", include_in_schema=False)
Reader = Annotated[Principal, Depends(staff_page(Permission.ORDERS_READ))]
Manager = Annotated[Principal, Depends(staff_page(Permission.ORDERS_MANAGE))]
Shipper = Annotated[Principal, Depends(staff_page(Permission.SHIPPING_MANAGE))]
CSRF = [Depends(verify_csrf)]


def safe_back(back: str, default: str) -> str:
    return back if back.startswith("/console/") and "//" not in back else default


def after(back: str, number: str, **outcome: str) -> RedirectResponse:
    target = safe_back(back, f"/console/orders/{number}")
    joiner = "&" if "?" in target else "?"
    query = urlencode({k: v for k, v in outcome.items() if v})
    return RedirectResponse(f"{target}{joiner}{query}" if query else target, status_code=303)


def allowed_actions(order: Any) -> dict[str, bool]:
    status = OrderStatus(order["status"])
    editable = status in OPEN_STATUSES and order["fulfillment_status"] == FulfillmentStatus.UNFULFILLED.value
    return {
        "confirm": status is OrderStatus.PENDING_REVIEW,
        "cancel": can_transition(status, OrderStatus.CANCELLED),
        "edit": editable,
        "print": status in {OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED},
    }


@router.get("/{number}")
async def order_page(request: Request, number: str, db: DB, who: Reader) -> Response:
    async with db.read() as session:
        order = await orders.get_order_row(session, number=number[:20])
        lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
        timeline = await events.list_for(session, "order", order["number"])
        parcels = await shipping_context(session, order=order, order_lines=lines)
        order_payments = await payments_of_order(session, order["number"])
    return render_console(
        request,
        "console/order.html",
        {
            "order": order,
            "lines": lines,
            "timeline": list(reversed(timeline)),
            "actions": allowed_actions(order),
            "payments": order_payments,
            "done": request.query_params.get("done", ""),
            "error": request.query_params.get("error", ""),
            **parcels,
        },
    )


@router.post("/{number}/confirm", dependencies=CSRF)
async def confirm(number: str, db: DB, who: Manager, back: Annotated[str, Form()] = "") -> Response:
    try:
        await db.write(confirm_order, number=number[:20], actor=who.actor)
    except DomainError as error:
        return after(back, number, error=error.code)
    return after(back, number, done="confirmed")


@router.post("/{number}/cancel", dependencies=CSRF)
async def cancel(
    number: str,
    db: DB,
    who: Manager,
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    if not reason.strip():
        return after(back, number, error="reason-needed")
    try:
        await db.write(cancel_order, number=number[:20], actor=who.actor, reason=reason.strip())
    except DomainError as error:
        return after(back, number, error=error.code)
    return after(back, number, done="cancelled")


@router.post("/{number}/notes", dependencies=CSRF)
async def note(
    number: str, db: DB, who: Reader, text: Annotated[str, Form(max_length=1000)] = ""
) -> Response:
    if not (can(who, "orders.manage") or can(who, "support.manage")):
        raise PageForbidden("orders.manage")
    try:
        await db.write(add_note, number=number[:20], text=text, actor=who.actor)
    except DomainError as error:
        return after("", number, error=error.code)
    return after("", number, done="note")


@router.get("/{number}/shipping-note.pdf")
async def shipping_note_pdf(number: str, db: DB, who: Shipper) -> Response:
    async with db.read() as session:
        order = await orders.get_order_row(session, number=number[:20])
        lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    pdf = render_shipping_notes([shipping_note(get_settings().shop_name, order, lines)])
    disposition = f'inline; filename="{order["number"]}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
