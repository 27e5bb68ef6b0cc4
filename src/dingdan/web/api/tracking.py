"""Public parcel lookup (物流查詢): no login, label-level answers, rate-limited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Scope

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


LOOKUP_PARAMETERS = {"tracking_number": 64, "order_number": 20, "phone_last4": 4}  # name: max length


@router.get(
    "/tracking",
    response_model=TrackingOut,
    responses=problems(404, 422, 429),
    summary="Public parcel lookup by tracking number, or by order number and the phone's last 4 digits",
)
async def get_tracking(
    request: Request,
    db: DB,
    tracking_number: Annotated[str | None, Query(max_length=LOOKUP_PARAMETERS["tracking_number"])] = None,
    order_number: Annotated[str | None, Query(max_length=LOOKUP_PARAMETERS["order_number"])] = None,
    phone_last4: Annotated[str | None, Query(max_length=LOOKUP_PARAMETERS["phone_last4"])] = None,
) -> Response:
    return await _answer(db, request, tracking_number, order_number, phone_last4)


async def get_tracking_lean(scope: Scope, body: bytes) -> Response | None:
    """`get_tracking` without FastAPI's per-request machinery (web/routing.LeanRoute), for a
    query of known parameters each given once and within its length; None for anything else,
    which the FastAPI route then answers (and words its refusal)."""
    request = Request(scope)
    given = request.query_params.multi_items()
    if len({name for name, _ in given}) != len(given) or any(
        len(value) > LOOKUP_PARAMETERS.get(name, -1) for name, value in given
    ):
        return None
    found = dict(given)
    db: Database = scope["app"].state.db
    return await _answer(
        db, request, found.get("tracking_number"), found.get("order_number"), found.get("phone_last4")
    )


async def _answer(
    db: Database,
    request: Request,
    tracking_number: str | None,
    order_number: str | None,
    phone_last4: str | None,
) -> Response:
    answer = await track(db, request, tracking_number, order_number, phone_last4)
    return json_response(answer, headers={"Cache-Control": "no-store"})
