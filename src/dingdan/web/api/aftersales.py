"""Staff after-sales API: the request queue and its steps, evidence photos, review
moderation and customer-service threads. Customer service (support) and owners work it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.responses import Response

from dingdan.aftersales import reviews, threads
from dingdan.aftersales import service as aftersales
from dingdan.aftersales.rules import Disposition, RequestKind, RequestStatus
from dingdan.aftersales.threads import ThreadStatus
from dingdan.platform.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, OrdersRead, SupportManage
from dingdan.workflows import aftersales_flow as flow
from dingdan.workflows import order_reviews, order_threads

router = APIRouter(prefix="/api/v1/aftersales", tags=["after-sales"])
RequestPath = Annotated[str, Path(max_length=24, description="request number, e.g. AS-261125-7KQ3MX")]
OrderPath = Annotated[str, Path(max_length=20)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class LineOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int
    sku: str
    product_name: str
    quantity: int
    unit_price: str


class RequestOut(BaseModel):
    number: str
    order_number: str
    kind: RequestKind
    status: RequestStatus
    reason: str
    customer_note: str
    lines: list[LineOut]
    refund_amount: str
    currency: str
    decision_reason: str
    disposition: Disposition | None
    warehouse: str | None
    refund_reference: str | None
    requested_by: str
    created_at: datetime
    updated_at: datetime


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: Reason = ""


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Reason = ""


class DispositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"disposition": "restock"}]})

    disposition: Disposition
    warehouse: Annotated[str, StringConstraints(max_length=32)] | None = None


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""


class ModerationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hidden: bool
    reason: Reason = ""


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PhotoOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    content_type: str
    width: int
    height: int
    size: int


@router.get("/requests", responses=problems(401, 403, 422), summary="The after-sales queue, newest first")
async def list_requests(
    db: DB,
    _: SupportManage,
    status: Annotated[list[RequestStatus] | None, Query()] = None,
    kind: RequestKind | None = None,
    order: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    async with db.read() as session:
        rows = await aftersales.list_requests(
            session, statuses=[s.value for s in status or []], kind=kind.value if kind else None,
            order_number=order, after_id=decode_cursor(cursor), limit=limit,
        )  # fmt: skip
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == limit else None
    return json_response({"items": [aftersales.request_view(r) for r in rows], "next_cursor": next_cursor})


@router.get("/requests/{number}", response_model=RequestOut, responses=problems(401, 403, 404))
async def get_request(number: RequestPath, db: DB, _: SupportManage) -> Response:
    async with db.read() as session:
        request = await aftersales.get_request(session, number=number)
        tokens = await reviews.photo_tokens(session, request_ids=[request.id])
    photos = [reviews.photo_url(t) for t in tokens.get(("request", request.id), [])]
    return json_response({**aftersales.request_view(request), "photos": photos})


STEP_RESPONSES = problems(401, 403, 404, 409, 422)


@router.post("/requests/{number}/decision", response_model=RequestOut, responses=STEP_RESPONSES)
async def post_decision(number: RequestPath, data: DecisionIn, db: DB, who: SupportManage) -> Response:
    """Approve, or reject with a reason the customer will read."""
    view = await db.write(
        flow.decide, number=number, approve=data.approve, reason=data.reason, actor=who.actor
    )
    return json_response(view)


@router.post("/requests/{number}/received", response_model=RequestOut, responses=STEP_RESPONSES)
async def post_received(
    number: RequestPath, db: DB, who: SupportManage, data: NoteIn | None = None
) -> Response:
    """The returned items arrived at the shop."""
    note = data.note if data else ""
    return json_response(await db.write(flow.receive_items, number=number, actor=who.actor, note=note))


@router.post("/requests/{number}/disposition", response_model=RequestOut, responses=STEP_RESPONSES)
async def post_disposition(number: RequestPath, data: DispositionIn, db: DB, who: SupportManage) -> Response:
    """Restock the returned items to a warehouse, or write them off (both in the stock ledger)."""
    view = await db.write(
        flow.dispose_items,
        number=number,
        disposition=data.disposition,
        warehouse=data.warehouse,
        actor=who.actor,
    )
    return json_response(view)


@router.post("/requests/{number}/refund", response_model=RequestOut, responses=STEP_RESPONSES)
async def post_refund(number: RequestPath, db: DB, who: SupportManage) -> Response:
    """Ask payments for the refund (event `aftersales.refund_requested`)."""
    return json_response(await db.write(flow.request_refund, number=number, actor=who.actor))


@router.post("/requests/{number}/complete", response_model=RequestOut, responses=STEP_RESPONSES)
async def post_complete(
    number: RequestPath, db: DB, who: SupportManage, data: CompleteIn | None = None
) -> Response:
    """Close the request: refund paid (with its reference) or exchange replacement sent."""
    reference = data.reference if data else ""
    return json_response(await db.write(flow.complete, number=number, actor=who.actor, reference=reference))


@router.post(
    "/requests/{number}/photos",
    status_code=201,
    response_model=PhotoOut,
    responses=problems(401, 403, 404, 409, 413, 415, 422),
    summary="Attach an evidence photo (JPEG, PNG or WebP; re-encoded without metadata)",
)
async def post_request_photo(
    number: RequestPath, db: DB, who: SupportManage, photo: Annotated[UploadFile, File()]
) -> Response:
    data = await photo.read()
    view = await db.write(order_reviews.add_request_photo, number=number, actor=who.actor, data=data)
    return json_response(view, status=201)


@router.get(
    "/photos/{token}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}, **problems(401, 403, 404)},
    summary="A review or evidence photo, for staff (customers read theirs through their account)",
)
async def get_photo(token: Annotated[str, Path(max_length=40)], db: DB, _: OrdersRead) -> Response:
    async with db.read() as session:
        photo = await order_reviews.read_photo(session, token=token, customer=None)
    return photo_response(photo.data, photo.content_type, photo.id)


def photo_response(data: bytes, content_type: str, photo_id: int) -> Response:
    """Safe headers: the type of our own re-encode, no sniffing, shown inline under a plain name."""
    extension = "png" if content_type == "image/png" else "jpg"
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="photo-{photo_id}.{extension}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return Response(data, media_type=content_type, headers=headers)


@router.get("/reviews", responses=problems(401, 403, 422), summary="Reviews for moderation, newest first")
async def list_reviews(
    db: DB,
    _: SupportManage,
    order: Annotated[str | None, Query(max_length=20)] = None,
    hidden: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    async with db.read() as session:
        rows = await reviews.list_reviews(
            session, order_number=order, hidden=hidden, after_id=decode_cursor(cursor), limit=limit
        )
        tokens = await reviews.photo_tokens(session, review_ids=[r.id for r in rows])
    items = [reviews.review_view(r, tokens.get(("review", r.id), [])) for r in rows]
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == limit else None
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post("/reviews/{review_id}/moderation", responses=problems(401, 403, 404, 422))
async def post_moderation(
    review_id: Annotated[int, Path(ge=1, le=2**53)], data: ModerationIn, db: DB, who: SupportManage
) -> Response:
    """Hide a review (a reason is required) or show it again."""
    view = await db.write(
        order_reviews.moderate_review,
        review_id=review_id,
        hide=data.hidden,
        reason=data.reason,
        actor=who.actor,
    )
    return json_response(view)


@router.get("/threads", responses=problems(401, 403, 422), summary="Customer-service threads")
async def list_threads(
    db: DB,
    _: SupportManage,
    status: ThreadStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Response:
    async with db.read() as session:
        rows = await threads.list_threads(session, status=status, limit=limit)
    return json_response({"items": [threads.thread_view(t) for t in rows]})


@router.get("/threads/{number}", responses=problems(401, 403, 404))
async def get_thread(number: OrderPath, db: DB, _: SupportManage) -> Response:
    async with db.read() as session:
        thread = await threads.get_thread(session, order_number=number)
        messages = await threads.list_messages(session, order_number=number)
    return json_response(
        {**threads.thread_view(thread), "messages": [threads.message_view(m) for m in messages]}
    )


@router.post("/threads/{number}/messages", status_code=201, responses=problems(401, 403, 404, 422))
async def post_reply(number: OrderPath, data: ReplyIn, db: DB, who: SupportManage) -> Response:
    """Answer the customer; the message also appears in the order's timeline."""
    view = await db.write(
        order_threads.post_staff_reply, order_number=number, actor=who.actor, body=data.body
    )
    return json_response(view, status=201)
