"""Shipping from the console: ship an order in parcels, cancel a parcel not yet collected,
ship many orders at once (批量發貨) and print their shipping notes (發貨單) in one PDF.

Each order ships in its own transactions (workflows.ship_order): one refusal in a bulk
run does not stop the rest, and every order gets its own line in the result list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.orders.states import OrderStatus
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError, InvalidInput
from dingdan.reports import order_list
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import ServiceType
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.parcel_view import carrier_names, carrier_options
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.wording import render_console
from dingdan.workflows.carriers import get_carriers
from dingdan.workflows.ship_order import ParcelOrder, ship_order
from dingdan.workflows.shipping_notes import MAX_ORDERS, shipping_notes_pdf
from dingdan.workflows.track_parcels import cancel_parcel

router = APIRouter(prefix="/console", include_in_schema=False)
Shipper = Annotated[Principal, Depends(staff_page(Permission.SHIPPING_MANAGE))]
CSRF = [Depends(verify_csrf)]
TRACKING_PATTERN = re.compile(r"^[A-Z0-9\-]{4,64}$")
Many = Annotated[list[str], Form()]


class TrackingNumberInvalid(InvalidInput):
    code = "tracking-number-invalid"
    title = "A tracking number has 4 to 64 letters, digits or dashes"


class QuantityInvalid(InvalidInput):
    code = "quantity-invalid"
    title = "Quantities are whole numbers from 0 up to what is left to ship"


def typed_tracking_number(raw: str) -> str | None:
    """What a person typed or a scanner sent, as a tracking number; blank means none."""
    value = raw.strip().upper()
    if not value:
        return None
    if not TRACKING_PATTERN.fullmatch(value):
        raise TrackingNumberInvalid(
            "{raw!r} is not a tracking number", params={"raw": raw}, field="tracking_number"
        )
    return value


def chosen_lines(skus: Sequence[str], quantities: Sequence[str]) -> list[tuple[str, int]] | None:
    """The units picked for the parcel; None when the form lists no lines (ship the rest)."""
    if not skus:
        return None
    picked: list[tuple[str, int]] = []
    for sku, text in zip(skus, quantities, strict=False):
        if not text.strip().isdigit():
            raise QuantityInvalid("{text!r} is not a quantity", params={"text": text}, field="quantity")
        if int(text) > 0:
            picked.append((sku[:64], int(text)))
    if not picked:
        raise QuantityInvalid("put at least one unit in the parcel", field="quantity")
    return picked


def to_order(number: str, **outcome: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in outcome.items() if v})
    return RedirectResponse(f"/console/orders/{number}?{query}#parcels-h", status_code=303)


@router.post("/orders/{number}/ship", dependencies=CSRF)
async def ship_one(
    number: str,
    db: DB,
    who: Shipper,
    carrier: Annotated[str, Form(max_length=32)],
    service: Annotated[ServiceType, Form()] = ServiceType.HOME_DELIVERY,
    pickup_store: Annotated[str, Form(max_length=120)] = "",
    warehouse: Annotated[str, Form(max_length=32)] = "",
    tracking_number: Annotated[str, Form(max_length=100)] = "",
    sku: Many = [],  # noqa: B006 - FastAPI copies defaults
    quantity: Many = [],  # noqa: B006
) -> Response:
    try:
        if service is ServiceType.STORE_PICKUP and not pickup_store.strip():
            raise InvalidInput("name the pickup store", field="pickup_store")
        parcel = ParcelOrder(
            carrier=carrier,
            lines=chosen_lines(sku, quantity),
            tracking_number=typed_tracking_number(tracking_number),
            service=service,
            pickup_store=pickup_store.strip() if service is ServiceType.STORE_PICKUP else "",
            warehouse=warehouse.strip() or None,
        )
        await ship_order(db, number=number[:20], parcel=parcel, actor=who.actor, carriers=get_carriers())
    except DomainError as error:
        return to_order(number[:20], error=error.code)
    return to_order(number[:20], done="parcel-shipped")


@router.post("/orders/{number}/parcels/{shipment_id}/cancel", dependencies=CSRF)
async def cancel_one(
    number: str,
    shipment_id: int,
    db: DB,
    who: Shipper,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        async with db.read() as session:
            parcel = await shipping.get_shipment(session, shipment_id=shipment_id)
        if parcel["order_number"] != number:
            raise InvalidInput("the parcel belongs to another order", field="shipment_id")
        await cancel_parcel(
            db,
            shipment_id=shipment_id,
            actor=who.actor,
            reason=reason.strip(),
            carrier=get_carriers().find(parcel["carrier"]),
        )
    except DomainError as error:
        return to_order(number[:20], error=error.code)
    return to_order(number[:20], done="parcel-cancelled")


@router.get("/shipping/notes.pdf")
async def notes_pdf(
    db: DB,
    who: Shipper,
    order: Annotated[list[str], Query(min_length=1, max_length=MAX_ORDERS)],
) -> Response:
    async with db.read() as session:
        pdf = await shipping_notes_pdf(session, numbers=order, carrier_names=carrier_names())
    headers = {"Content-Disposition": 'inline; filename="shipping-notes.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@dataclass(frozen=True)
class BulkOutcome:
    number: str
    tracking_number: str = ""
    error: str = ""


async def _orders_for_bulk(db: Database, numbers: Sequence[str]) -> list[Any]:
    wanted = list(dict.fromkeys(n.strip()[:20] for n in numbers if n.strip()))[:MAX_ORDERS]
    async with db.read() as session:
        rows = await order_list.list_by_numbers(session, numbers=wanted)
    position = {n: i for i, n in enumerate(wanted)}
    return sorted(rows, key=lambda row: position[row["number"]])


@router.get("/shipping/bulk")
async def bulk_form(
    request: Request,
    db: DB,
    who: Shipper,
    number: Annotated[list[str], Query()] = [],  # noqa: B006
) -> Response:
    rows = await _orders_for_bulk(db, number)
    shippable = [r for r in rows if r["status"] == OrderStatus.CONFIRMED.value]
    skipped = [r for r in rows if r["status"] != OrderStatus.CONFIRMED.value]
    return render_console(
        request,
        "console/ship_bulk.html",
        {"rows": shippable, "skipped": skipped, "carriers": carrier_options(), "results": None},
    )


async def _ship_each(
    db: Database, actor: str, carrier: str, numbers: Sequence[str], typed: Sequence[str]
) -> list[BulkOutcome]:
    outcomes: list[BulkOutcome] = []
    for index, number in enumerate(numbers):
        try:
            parcel = ParcelOrder(carrier=carrier, tracking_number=typed_tracking_number(typed[index]))
            shipped = await ship_order(
                db, number=number[:20], parcel=parcel, actor=actor, carriers=get_carriers()
            )
        except DomainError as error:
            outcomes.append(BulkOutcome(number[:20], typed[index].strip(), error.code))
        else:
            outcomes.append(BulkOutcome(number[:20], shipped["tracking_number"]))
    return outcomes


@router.post("/shipping/bulk", dependencies=CSRF)
async def bulk_ship(
    request: Request,
    db: DB,
    who: Shipper,
    carrier: Annotated[str, Form(max_length=32)],
    number: Many = [],  # noqa: B006
    tracking_number: Many = [],  # noqa: B006
) -> Response:
    numbers = number[:MAX_ORDERS]
    typed = [*tracking_number[: len(numbers)], *[""] * (len(numbers) - len(tracking_number))]
    outcomes = await _ship_each(db, who.actor, carrier, numbers, typed)
    shipped = [o.number for o in outcomes if not o.error]
    return render_console(
        request,
        "console/ship_bulk.html",
        {
            "results": outcomes,
            "shipped": shipped,
            "failed": [o for o in outcomes if o.error],
            "print_url": "/console/shipping/notes.pdf?" + urlencode([("order", n) for n in shipped]),
            "carrier_name": carrier_names().get(carrier, carrier),
        },
    )
