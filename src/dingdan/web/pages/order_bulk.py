"""Bulk actions on the selected orders: confirm, cancel with a reason, print shipping notes,
export as CSV or XLSX. Each order is its own transaction: one refusal does not stop the rest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.orders import service as orders
from dingdan.platform.clock import now
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError
from dingdan.platform.settings import get_settings
from dingdan.reports import order_list
from dingdan.shipping.documents import NoteLine, ShippingNote, render_shipping_notes
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages import order_export
from dingdan.web.pages.order_list import FILTER_KEYS, read_query
from dingdan.web.pages.session import PageForbidden, can, staff_page
from dingdan.workflows.cancel_order import cancel_order
from dingdan.workflows.confirm_order import confirm_order

router = APIRouter(prefix="/console/orders", include_in_schema=False)
Reader = Annotated[Principal, Depends(staff_page(Permission.ORDERS_READ))]
EXPORT_LIMIT = 10_000
MAX_SELECTION = 500
NEEDS = {
    "confirm": "orders.manage",
    "cancel": "orders.manage",
    "print": "shipping.manage",
    "ship": "shipping.manage",
    "export_csv": "orders.read",
    "export_xlsx": "orders.read",
}


def back_to(view: str, **notice: str | int) -> str:
    kept = [(k, v) for k, v in parse_qsl(view) if k in FILTER_KEYS]
    query = urlencode(kept + [(k, str(v)) for k, v in notice.items()])
    return "/console/orders" + (f"?{query}" if query else "")


@router.post("/bulk", dependencies=[Depends(verify_csrf)])
async def bulk_action(
    request: Request,
    db: DB,
    who: Reader,
    action: Annotated[str, Form(max_length=20)],
    number: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    reason: Annotated[str, Form(max_length=500)] = "",
    view: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if action not in NEEDS:
        return RedirectResponse(back_to(view, notice="unknown_action"), status_code=303)
    if not can(who, NEEDS[action]):
        raise PageForbidden(NEEDS[action])
    numbers = list(dict.fromkeys(n.strip()[:20] for n in number if n.strip()))[:MAX_SELECTION]
    if action.startswith("export"):
        return await _export(request, db, numbers, view, xlsx=action == "export_xlsx")
    if not numbers:
        return RedirectResponse(back_to(view, notice="nothing_selected"), status_code=303)
    if action in ("print", "ship"):
        return await _print(db, numbers) if action == "print" else _ship_page(numbers)
    if action == "cancel" and not reason.strip():
        return RedirectResponse(back_to(view, notice="reason_needed"), status_code=303)
    done, failed = await _each(db, numbers, _step(action, who.actor, reason.strip()))
    return RedirectResponse(back_to(view, notice=action, done=done, failed=failed), status_code=303)


def _step(action: str, actor: str, reason: str) -> Callable[[Any, str], Awaitable[Any]]:
    if action == "confirm":
        return lambda session, number: confirm_order(session, number=number, actor=actor)
    return lambda session, number: cancel_order(session, number=number, actor=actor, reason=reason)


async def _each(
    db: Database, numbers: list[str], step: Callable[[Any, str], Awaitable[Any]]
) -> tuple[int, int]:
    done = failed = 0
    for number in numbers:
        try:
            await db.write(step, number)
            done += 1
        except DomainError:
            failed += 1
    return done, failed


async def _export(request: Request, db: Database, numbers: list[str], view: str, *, xlsx: bool) -> Response:
    async with db.read() as session:
        if numbers:
            rows = await order_list.list_by_numbers(session, numbers=numbers)
        else:  # nothing ticked: everything the current view shows, up to the limit
            where = read_query(_request_for(request, view)).where
            rows = await order_list.list_orders(session, where=where, limit=EXPORT_LIMIT)
        lines = await orders.get_lines(session, order_ids=[r["id"] for r in rows])
    table = [order_export.export_row(r, lines[r["id"]]) for r in rows]
    stamp = now().strftime("%Y%m%d-%H%M")
    if xlsx:
        body, kind, suffix = order_export.to_xlsx(table), order_export.XLSX_TYPE, "xlsx"
    else:
        body, kind, suffix = order_export.to_csv(table), "text/csv; charset=utf-8", "csv"
    disposition = f'attachment; filename="orders-{stamp}.{suffix}"'
    return Response(body, media_type=kind, headers={"Content-Disposition": disposition})


def _request_for(request: Request, view: str) -> Request:
    scope = dict(request.scope)
    scope["query_string"] = view.encode()
    return Request(scope)


def _ship_page(numbers: list[str]) -> Response:
    """批量發貨: the page where each order's tracking number is typed or scanned."""
    picked = urlencode([("number", n) for n in numbers])
    return RedirectResponse(f"/console/shipping/bulk?{picked}", status_code=303)


async def _print(db: Database, numbers: list[str]) -> Response:
    async with db.read() as session:
        rows = await order_list.list_by_numbers(session, numbers=numbers)
        lines = await orders.get_lines(session, order_ids=[r["id"] for r in rows])
    shop = get_settings().shop_name
    notes = [shipping_note(shop, r, lines[r["id"]]) for r in sorted(rows, key=lambda r: r["id"])]
    return Response(
        render_shipping_notes(notes),
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="shipping-notes.pdf"'},
    )


def shipping_note(shop: str, order: Any, lines: Any) -> ShippingNote:
    address = f"{order['ship_postal_code']} {order['ship_city']}{order['ship_district']}{order['ship_line1']}"
    return ShippingNote(
        shop_name=shop,
        order_number=order["number"],
        recipient_name=order["ship_recipient"],
        address=f"{address} {order['ship_line2']}".strip(),
        phone=order["ship_phone"],
        lines=[NoteLine(ln["sku"], ln["product_name"], ln["quantity"], ln["attributes"]) for ln in lines],
        remarks=order["note"],
    )
