from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from dingdan.orders import service as orders
from dingdan.platform.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from dingdan.shipping import exception_cases as cases
from dingdan.shipping import service as shipping
from dingdan.shipping.schemas import (
    CancelIn,
    CaseOut,
    CasePage,
    CaseUpdateIn,
    OrderShipmentsOut,
    ShipmentIn,
    ShipmentOut,
    case_view,
    shipment_view,
)
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, OrdersRead, ShippingManage
from dingdan.workflows.carriers import get_carriers
from dingdan.workflows.ship_order import ParcelOrder, ship_order
from dingdan.workflows.shipping_notes import MAX_ORDERS, shipping_notes_pdf
from dingdan.workflows.track_parcels import cancel_parcel

router = APIRouter(prefix="/api/v1", tags=["shipping"])
NumberPath = Annotated[str, Path(max_length=20, description="order number, e.g. 261125-7KQ3MXPA")]
IdPath = Annotated[int, Path(ge=1, le=2**62)]
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "a PDF, one page or more per parcel"}
}


@router.post(
    "/orders/{number}/shipments",
    status_code=201,
    response_model=ShipmentOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Ship units of a confirmed order in a parcel (default: everything not shipped yet)",
)
async def post_shipment(number: NumberPath, data: ShipmentIn, db: DB, who: ShippingManage) -> Response:
    parcel = ParcelOrder(
        carrier=data.carrier,
        lines=[(ln.sku, ln.quantity) for ln in data.lines] if data.lines else None,
        tracking_number=data.tracking_number,
        service=data.service,
        pickup_store=data.pickup_store,
        warehouse=data.warehouse,
    )
    body = await ship_order(db, number=number, parcel=parcel, actor=who.actor, carriers=get_carriers())
    return json_response(body, status=201, headers={"Location": f"/api/v1/shipments/{body['id']}"})


@router.get(
    "/orders/{number}/shipments",
    response_model=OrderShipmentsOut,
    responses=problems(401, 403, 404),
    summary="An order's parcels and its open exception cases",
)
async def list_order_shipments(number: NumberPath, db: DB, _: OrdersRead) -> Response:
    async with db.read() as session:
        order = await orders.get_order_row(session, number=number)
        parcels = await shipping.list_for_order(session, order_id=order["id"])
        lines = await shipping.list_lines(session, shipment_ids=[p["id"] for p in parcels])
        open_cases = await cases.list_cases(
            session, statuses=[cases.CaseStatus.OPEN, cases.CaseStatus.IN_PROGRESS], order_number=number
        )
    return json_response(
        {
            "order_number": order["number"],
            "fulfillment_status": order["fulfillment_status"],
            "shipments": [shipment_view(p, lines[p["id"]]) for p in parcels],
            "open_cases": [case_view(c) for c in open_cases],
        }
    )


@router.get(
    "/shipments/{shipment_id}",
    response_model=ShipmentOut,
    responses=problems(401, 403, 404),
    summary="A parcel with its whole scan history (events, oldest first)",
)
async def get_shipment(shipment_id: IdPath, db: DB, _: OrdersRead) -> Response:
    async with db.read() as session:
        shipment = await shipping.get_shipment(session, shipment_id=shipment_id)
        lines = await shipping.list_lines(session, shipment_ids=[shipment_id])
        scans = await shipping.list_scans(session, shipment_ids=[shipment_id])
    return json_response(shipment_view(shipment, lines[shipment_id], scans[shipment_id]))


@router.post(
    "/shipments/{shipment_id}/cancel",
    response_model=ShipmentOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Cancel a parcel the carrier has not collected; its units go back to stock",
)
async def post_cancel_shipment(
    shipment_id: IdPath, db: DB, who: ShippingManage, data: CancelIn | None = None
) -> Response:
    async with db.read() as session:
        carrier_code = (await shipping.get_shipment(session, shipment_id=shipment_id))["carrier"]
    body = await cancel_parcel(
        db,
        shipment_id=shipment_id,
        actor=who.actor,
        reason=data.reason if data else "",
        carrier=get_carriers().find(carrier_code),
    )
    return json_response(body)


def _carrier_names() -> dict[str, str]:
    registry = get_carriers()
    return {code: registry.get(code).display_name for code in registry.list_codes()}


def _pdf(content: bytes, filename: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(content, media_type="application/pdf", headers=headers)


@router.get(
    "/orders/{number}/shipping-note.pdf",
    response_class=Response,
    responses={**PDF, **problems(401, 403, 404)},
    summary="The order's shipping note (發貨單) as PDF",
)
async def get_shipping_note(number: NumberPath, db: DB, _: ShippingManage) -> Response:
    async with db.read() as session:
        pdf = await shipping_notes_pdf(session, numbers=[number], carrier_names=_carrier_names())
    return _pdf(pdf, f"shipping-note-{number}.pdf")


@router.get(
    "/shipping-notes.pdf",
    response_class=Response,
    responses={**PDF, **problems(401, 403, 404, 422)},
    summary="Bulk print: the shipping notes of many orders in one PDF",
)
async def get_shipping_notes(
    db: DB,
    _: ShippingManage,
    order: Annotated[list[str], Query(min_length=1, max_length=MAX_ORDERS, description="order numbers")],
) -> Response:
    async with db.read() as session:
        pdf = await shipping_notes_pdf(session, numbers=order, carrier_names=_carrier_names())
    return _pdf(pdf, "shipping-notes.pdf")


@router.get(
    "/shipping/exceptions",
    response_model=CasePage,
    responses=problems(401, 403, 422),
    summary="The exception queue (物流異常), newest first",
)
async def list_exception_cases(
    db: DB,
    _: ShippingManage,
    status: Annotated[list[cases.CaseStatus] | None, Query()] = None,
    order_number: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    async with db.read() as session:
        rows = await cases.list_cases(
            session, statuses=status, order_number=order_number, after_id=decode_cursor(cursor), limit=limit
        )
    next_cursor = encode_cursor(rows[-1]["id"]) if len(rows) == limit else None
    return json_response({"items": [case_view(r) for r in rows], "next_cursor": next_cursor})


@router.get("/shipping/exceptions/{case_id}", response_model=CaseOut, responses=problems(401, 403, 404))
async def get_exception_case(case_id: IdPath, db: DB, _: ShippingManage) -> Response:
    async with db.read() as session:
        case = await cases.get_case(session, case_id=case_id)
    return json_response(case_view(case))


@router.patch(
    "/shipping/exceptions/{case_id}",
    response_model=CaseOut,
    responses=problems(401, 403, 404, 422),
    summary="Work a case: owner, status, what the customer is told, an action taken, the resolution",
)
async def patch_exception_case(case_id: IdPath, data: CaseUpdateIn, db: DB, who: ShippingManage) -> Response:
    changes = data.model_dump(exclude={"action"}, exclude_unset=True, mode="json")
    action = data.action.model_dump(mode="json") if data.action else None
    case = await db.write(cases.update_case, case_id=case_id, changes=changes, action=action, actor=who.actor)
    return json_response(case_view(case))
