from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Path, Query
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope

from dingdan.channels.rules import API_KEY_PREFIX
from dingdan.orders import service as orders
from dingdan.orders.schemas import OrderIn, OrderOut, OrderPage, ReasonIn, TimelineEntry, order_view
from dingdan.orders.states import OrderStatus, Tab
from dingdan.platform import events
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError
from dingdan.platform.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import (
    DB,
    OrdersManage,
    OrdersPlace,
    OrdersRead,
    P,
    Principal,
    channel_key_holder,
    ensure_may_use_channel,
    may,
)
from dingdan.workflows.cancel_order import cancel_order
from dingdan.workflows.confirm_order import confirm_order
from dingdan.workflows.place_order import Intake, submit_order

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
NumberPath = Annotated[str, Path(max_length=20, description="order number, e.g. 261125-7KQ3MXPA")]
KEY_PATTERN = re.compile(r'^"([\x20-\x21\x23-\x5b\x5d-\x7e]{1,255})"$|^([\x21\x23-\x7e]{1,255})$')

IDEMPOTENCY_DOC = (
    "Optional. The same key with the same body answers with the stored first answer "
    "(also while the first is in flight: the retry waits for it); the same key with another body "
    "gets 422 idempotency-key-reused. Keys are kept 24 hours: a replay within 24 h gets the "
    "stored answer, one after 24 h is processed as a new request. Refused requests (4xx) are not "
    "stored, so a corrected retry with the same key is processed."
)


class BadIdempotencyKey(DomainError):
    code = "invalid-idempotency-key"
    status = 400
    title = "Malformed Idempotency-Key header"


def parse_idempotency_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    match = KEY_PATTERN.match(raw.strip())
    if not match:
        raise BadIdempotencyKey(
            "Idempotency-Key must be 1–255 visible ASCII characters (an sf-string)",
            field="Idempotency-Key",
        )
    return match.group(1) or match.group(2)


@router.post(
    "",
    status_code=201,
    response_model=OrderOut,
    responses={
        200: {"description": "the order an earlier identical request created", "model": OrderOut},
        **problems(400, 401, 403, 404, 409, 413, 422),
    },
    summary="Place an order",
)
async def post_order(
    data: OrderIn,
    db: DB,
    who: OrdersPlace,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_DOC)
    ] = None,
) -> Response:
    return await _place(db, who, data, idempotency_key)


async def post_order_lean(scope: Scope, body: bytes) -> Response | None:
    """`post_order` for its common case, a channel's API key with a JSON body that is a valid
    order, without FastAPI's dependency tree (web/routing.LeanRoute). None for anything else:
    post_order itself then answers, so refusals are worded in one place."""
    headers = Headers(scope=scope)
    if headers.get("content-type", "").partition(";")[0].strip().lower() != "application/json":
        return None
    scheme, _, key = headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or not key.startswith(API_KEY_PREFIX):
        return None
    db: Database = scope["app"].state.db
    who = await channel_key_holder(db, key)
    if who is None or not may(who, P.ORDERS_PLACE):
        return None
    try:
        data = OrderIn.model_validate(orjson.loads(body))
    except (orjson.JSONDecodeError, ValidationError):
        return None
    return await _place(db, who, data, headers.get("idempotency-key"))


async def _place(db: Database, who: Principal, data: OrderIn, idempotency_key: str | None) -> Response:
    ensure_may_use_channel(who, data.channel)
    key = parse_idempotency_key(idempotency_key)
    placed = await submit_order(db, request=data, intake=Intake(who.actor, who.scope, key))
    headers = {"Location": f"/api/v1/orders/{placed.body['number']}"}
    if not placed.created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(placed.body, status=201 if placed.created else 200, headers=headers)


@router.get(
    "",
    response_model=OrderPage,
    responses=problems(401, 403, 422),
    summary="List orders, newest first, with filters and a cursor",
)
async def list_orders(
    db: DB,
    _: OrdersRead,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    tab: Tab | None = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    q: Annotated[
        str | None,
        Query(max_length=100, description="number, external id, name, phone, e-mail, SKU or product"),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    async with db.read() as session:
        rows = await orders.list_order_rows(
            session,
            status=status or [],
            tab=tab,
            channel=channel,
            since=from_,
            until=to,
            text=q.strip() if q else None,
            after_id=decode_cursor(cursor),
            limit=limit,
        )
        lines = await orders.get_lines(session, order_ids=[r["id"] for r in rows])
    items = [order_view(r, lines[r["id"]]) for r in rows]
    next_cursor = encode_cursor(rows[-1]["id"]) if len(rows) == limit else None
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get("/{number}", response_model=OrderOut, responses=problems(401, 403, 404))
async def get_order(number: NumberPath, db: DB, _: OrdersRead) -> Response:
    async with db.read() as session:
        row = await orders.get_order_row(session, number=number)
        lines = await orders.get_lines(session, order_ids=[row["id"]])
    return json_response(order_view(row, lines[row["id"]]))


@router.get(
    "/{number}/timeline",
    response_model=list[TimelineEntry],
    responses=problems(401, 403, 404),
    summary="Every change of the order: who, when, from, to, why",
)
async def get_timeline(number: NumberPath, db: DB, _: OrdersRead) -> Response:
    async with db.read() as session:
        await orders.get_order_row(session, number=number)
        found = await events.list_for(session, "order", number)
    return json_response(
        [
            {
                "id": e.id,
                "seq": e.payload.get("seq"),
                "topic": e.topic,
                "actor": e.actor,
                "at": e.created_at.isoformat() if e.created_at else None,
                "from_status": e.payload.get("from_status"),
                "to_status": e.payload.get("to_status"),
                "reason": e.payload.get("reason"),
                "data": e.payload,
            }
            for e in found
        ]
    )


@router.post(
    "/{number}/confirm",
    response_model=OrderOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Confirm an order waiting for review",
)
async def post_confirm(
    number: NumberPath, db: DB, who: OrdersManage, data: ReasonIn | None = None
) -> Response:
    note = data.reason if data else ""
    return json_response(await db.write(confirm_order, number=number, actor=who.actor, note=note))


@router.post(
    "/{number}/cancel",
    response_model=OrderOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Cancel an order before it ships; every reservation is released",
)
async def post_cancel(
    number: NumberPath, db: DB, who: OrdersManage, data: ReasonIn | None = None
) -> Response:
    reason = data.reason if data else ""
    return json_response(await db.write(cancel_order, number=number, actor=who.actor, reason=reason))
