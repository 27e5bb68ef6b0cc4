"""Phone and e-mail orders typed in by staff. The form carries an idempotency key made when it
opened, so a double submit (or a retry after a lost answer) makes one order."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.channels import service as channels
from dingdan.orders.schemas import OrderIn, PaymentMethod
from dingdan.platform import taiwan
from dingdan.platform.errors import DomainError
from dingdan.reports.product_search import search_sellable
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.order_forms import ADDRESS_FIELDS
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.templating import refusal_text
from dingdan.web.pages.wording import render_console
from dingdan.workflows.order_notes import add_note
from dingdan.workflows.place_order import Intake, submit_order

router = APIRouter(prefix="/console", include_in_schema=False)
Placer = Annotated[Principal, Depends(staff_page(Permission.ORDERS_PLACE))]


async def _form(request: Request, db: Any, values: dict[str, Any], errors: list[dict[str, str]]) -> Response:
    async with db.read() as session:
        known = [c for c in await channels.list_channels(session) if c.active]
    county = values.get("city", "")
    return render_console(
        request,
        "console/order_new.html",
        {
            "v": values,
            "errors": errors,
            "channels": known,
            "counties": taiwan.list_counties(),
            "districts": taiwan.list_districts(county) if county else [],
            "methods": [m.value for m in PaymentMethod],
        },
        status=422 if errors else 200,
    )


@router.get("/orders/new")
async def new_order_page(request: Request, db: DB, who: Placer) -> Response:
    fresh = {"idempotency_key": uuid.uuid4().hex, "channel": "manual", "payment_method": "cod", "lines": []}
    return await _form(request, db, fresh, [])


def _values(form: FormData) -> dict[str, Any]:
    def text(name: str) -> str:
        return str(form.get(name, "")).strip()[:300]

    lines = [
        {"sku": str(s).strip(), "quantity": str(q).strip(), "unit_price": str(p).strip()}
        for s, q, p in zip(
            form.getlist("sku"), form.getlist("quantity"), form.getlist("unit_price"), strict=False
        )
        if str(s).strip()
    ]
    keys = (
        "idempotency_key",
        "channel",
        "payment_method",
        "customer_name",
        "customer_phone",
        "customer_email",
        "note",
        "price_reason",
        *ADDRESS_FIELDS,
    )
    return {**{k: text(k) for k in keys}, "lines": lines}


def _order_in(v: dict[str, Any]) -> OrderIn:
    return OrderIn.model_validate(
        {
            "channel": v["channel"] or "manual",
            "customer": {
                "name": v["customer_name"],
                "phone": v["customer_phone"],
                "email": v["customer_email"],
            },
            "shipping_address": {
                "recipient": v["recipient"] or v["customer_name"],
                "phone": v["phone"] or v["customer_phone"],
                "country": "TW",
                **{k: v[k] for k in ("city", "district", "postal_code", "line1", "line2")},
            },
            "lines": [
                {
                    "sku": ln["sku"],
                    "quantity": int(ln["quantity"] or 0),
                    "unit_price": ln["unit_price"] or None,
                }
                if ln["quantity"].isdigit()
                else {"sku": ln["sku"], "quantity": ln["quantity"]}
                for ln in v["lines"]
            ],
            "payment_method": v["payment_method"],
            "note": v["note"],
        }
    )


def _pydantic_errors(error: ValidationError) -> list[dict[str, str]]:
    return [{"field": "/" + "/".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]


@router.post("/orders/new", dependencies=[Depends(verify_csrf)])
async def new_order_submit(request: Request, db: DB, who: Placer) -> Response:
    values = _values(await request.form())
    overridden = any(ln["unit_price"] for ln in values["lines"])
    if overridden and not values["price_reason"]:
        return await _form(request, db, values, [{"field": "/price_reason", "message": "price_reason"}])
    try:
        request_in = _order_in(values)
        key = values["idempotency_key"][:255] or None
        placed = await submit_order(db, request=request_in, intake=Intake(who.actor, who.scope, key))
    except ValidationError as error:
        return await _form(request, db, values, _pydantic_errors(error))
    except DomainError as error:
        refusal = {"field": error.field or "/", "message": refusal_text(request, error)}
        return await _form(request, db, values, [refusal])
    number = placed.body["number"]
    if placed.created and overridden:
        await db.write(
            add_note, number=number, text=values["price_reason"], actor=who.actor, kind="price_override"
        )
    return RedirectResponse(f"/console/orders/{number}?done=placed", status_code=303)


@router.get("/products/search")
async def product_search(request: Request, db: DB, who: Placer, q: str = "") -> Response:
    async with db.read() as session:
        found = await search_sellable(session, text=q[:100])
    return render_console(request, "console/_product_results.html", {"found": found, "q": q})


@router.get("/taiwan/districts")
async def district_options(request: Request, who: Placer, city: str = "") -> Response:
    return render_console(
        request,
        "console/_district_options.html",
        {"districts": taiwan.list_districts(city[:20]), "selected": ""},
    )
