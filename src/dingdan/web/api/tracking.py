"""Public parcel lookup (物流查詢): no login, label-level answers, rate-limited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from dingdan.orders.customer_view import CLOSED, TrackedParcel
from dingdan.platform.db import Database
from dingdan.platform.errors import InvalidInput
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB
from dingdan.web.ratelimit import rate_limits
from dingdan.workflows.track_lookup import lookup_by_order, lookup_by_tracking_number

router = APIRouter(prefix="/api/v1", tags=["tracking"])


class TrackedOrder(BaseModel):
    model_config = CLOSED
    number: str
    status: str


class TrackingOut(BaseModel):
    """Parcel-label data only: no phone, e-mail, full address, items or prices."""

    model_config = CLOSED
    order: TrackedOrder
    recipient: str
    city: str
    district: str
    parcels: list[TrackedParcel]


async def track(
    db: Database,
    request: Request,
    tracking_number: str | None,
    order_number: str | None,
    phone_last4: str | None,
) -> dict[str, Any]:
    """Shared by the API and the /track page."""
    if tracking_number:
        await rate_limits(request).lookup(request, f"tn:{tracking_number.strip().upper()}")
        async with db.connection() as connection:
            return await lookup_by_tracking_number(connection, tracking_number=tracking_number)
    if order_number and phone_last4:
        await rate_limits(request).lookup(request, f"order:{order_number.strip().upper()}")
        async with db.connection() as connection:
            return await lookup_by_order(connection, order_number=order_number, phone_last4=phone_last4)
    raise InvalidInput("give tracking_number, or order_number with phone_last4", field="tracking_number")


@router.get(
    "/tracking",
    response_model=TrackingOut,
    responses=problems(404, 422, 429),
    summary="Public parcel lookup by tracking number, or by order number and the phone's last 4 digits",
)
async def get_tracking(
    request: Request,
    db: DB,
    tracking_number: Annotated[str | None, Query(max_length=64)] = None,
    order_number: Annotated[str | None, Query(max_length=20)] = None,
    phone_last4: Annotated[str | None, Query(max_length=4)] = None,
) -> Response:
    answer = await track(db, request, tracking_number, order_number, phone_last4)
    return json_response(answer, headers={"Cache-Control": "no-store"})
