"""Editing an order (lines, quantities, prices with a reason) and correcting it from the review
queue (address, phone, lines), then confirming it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from dingdan.auth.rules import Permission
from dingdan.orders import service as orders
from dingdan.platform.errors import DomainError, InvalidInput
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.order_forms import lines_differ, read_address, read_lines
from dingdan.web.pages.order_page import after
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.wording import render_console
from dingdan.workflows.confirm_order import confirm_order
from dingdan.workflows.correct_order import correct_contact
from dingdan.workflows.edit_order import edit_order

router = APIRouter(prefix="/console/orders", include_in_schema=False)
Manager = Annotated[Principal, Depends(staff_page(Permission.ORDERS_MANAGE))]
CSRF = [Depends(verify_csrf)]
BLANK_ROWS = 2


async def _edit_form(request: Request, db: Any, number: str, error: DomainError | None = None) -> Response:
    async with db.read() as session:
        order = await orders.get_order_row(session, number=number[:20])
        lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    return render_console(
        request,
        "console/order_edit.html",
        {"order": order, "lines": lines, "blank_rows": BLANK_ROWS, "error": error},
        status=422 if error else 200,
    )


@router.get("/{number}/edit")
async def edit_page(request: Request, number: str, db: DB, who: Manager) -> Response:
    return await _edit_form(request, db, number)


@router.post("/{number}/edit", dependencies=CSRF)
async def edit_submit(request: Request, number: str, db: DB, who: Manager) -> Response:
    form = await request.form()
    try:
        reason = str(form.get("reason", "")).strip()[:500]
        if not reason:
            raise InvalidInput("say why the order changes", field="reason")
        wanted = read_lines(form)
        await db.write(edit_order, number=number[:20], lines=wanted, reason=reason, actor=who.actor)
    except DomainError as error:
        return await _edit_form(request, db, number, error)
    return after("", number, done="edited")


@router.post("/{number}/correct", dependencies=CSRF)
async def correct_submit(request: Request, number: str, db: DB, who: Manager) -> Response:
    """The review queue's form: contact details and lines in one transaction, then (if asked)
    the confirmation in its own, so a refused confirmation keeps the corrections."""
    form = await request.form()
    back = str(form.get("back", ""))
    reason = str(form.get("reason", "")).strip()[:500] or "review correction"
    try:
        address = read_address(form)
        customer_phone = str(form.get("customer_phone", "")).strip()[:32] or address["phone"]
        wanted = read_lines(form) if form.getlist("sku") else None

        async def correct(session: AsyncSession) -> None:
            await correct_contact(
                session,
                number=number[:20],
                address=address,
                customer_phone=customer_phone,
                actor=who.actor,
                reason=reason,
            )
            row = await orders.get_order_row(session, number=number[:20])
            current = (await orders.get_lines(session, order_ids=[row["id"]]))[row["id"]]
            if wanted is not None and lines_differ(current, wanted):
                await edit_order(session, number=number[:20], lines=wanted, reason=reason, actor=who.actor)

        await db.write(correct)
        if form.get("then") == "confirm":
            await db.write(confirm_order, number=number[:20], actor=who.actor, note=reason)
    except DomainError as error:
        return after(back, number, error=error.code, field=error.field or "")
    return after(back, number, done="confirmed" if form.get("then") == "confirm" else "corrected")
