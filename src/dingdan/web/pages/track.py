"""The public tracking page (物流查詢): the same lookup and limits as GET /api/v1/tracking,
rendered on the server, zh-Hant first and English through the catalogs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from dingdan.platform.errors import DomainError
from dingdan.web.api.tracking import track
from dingdan.web.deps import DB
from dingdan.web.pages.templating import render
from dingdan.workflows.carriers import get_carriers

router = APIRouter(include_in_schema=False)

# English msgids; the catalogs (web/locale/*/LC_MESSAGES/tracking.po) translate them.
PARCEL_STATUS_TEXT = {
    "pending": "Waiting for the carrier",
    "info_received": "Label created, waiting for pickup",
    "picked_up": "Picked up by the carrier",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    "available_for_pickup": "Ready for pickup at the store",
    "delivery_failed": "Delivery attempt failed",
    "delivered": "Delivered",
    "exception": "Problem with the parcel",
    "returning": "Returning to the shop",
    "returned": "Returned to the shop",
    "cancelled": "Cancelled",
    "expired": "No more updates from the carrier",
}
ORDER_STATUS_TEXT = {
    "pending_payment": "Waiting for payment",
    "pending_review": "Being prepared",
    "confirmed": "Being prepared",
    "partially_shipped": "Partly shipped",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "completed": "Completed",
    "cancelled": "Cancelled",
}


@router.get("/track")
async def track_page(
    request: Request,
    db: DB,
    tracking_number: Annotated[str | None, Query(max_length=64)] = None,
    order_number: Annotated[str | None, Query(max_length=20)] = None,
    phone_last4: Annotated[str | None, Query(max_length=4)] = None,
) -> Response:
    context: dict[str, Any] = {
        "query": {"tracking_number": tracking_number or "", "order_number": order_number or ""},
        "parcel_status_text": PARCEL_STATUS_TEXT,
        "order_status_text": ORDER_STATUS_TEXT,
        "carrier_names": {
            code: get_carriers().get(code).display_name for code in get_carriers().list_codes()
        },
    }
    status = 200
    if tracking_number or order_number:
        try:
            context["result"] = await track(db, request, tracking_number, order_number, phone_last4)
        except DomainError as exc:
            context["error"] = exc.code
            status = exc.status
    response = render(request, "track/track.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response
