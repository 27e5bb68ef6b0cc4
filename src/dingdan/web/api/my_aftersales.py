"""After-sales on my orders over the API: return/refund requests with photos, reviews (曬單),
messages to customer service, and my photos. Another customer's order, request, review or photo
gives the same 404 as one that does not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from dingdan.aftersales.rules import RequestKind, RequestStatus
from dingdan.orders.customer_view import CLOSED
from dingdan.platform.db import Database
from dingdan.web.api.aftersales import LineOut, PhotoOut, photo_response
from dingdan.web.api.my_orders import NumberPath
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, Customer, Principal
from dingdan.workflows import my_aftersales, order_reviews, order_threads
from dingdan.workflows.aftersales_flow import RequestedLine

router = APIRouter(prefix="/api/v1/me", tags=["me"])
RequestPath = Annotated[str, Path(max_length=24, description="request number, e.g. AS-261125-7KQ3MX")]
ReviewPath = Annotated[int, Path(ge=1, le=2**53)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
PHOTO_ERRORS = problems(401, 403, 404, 409, 413, 415, 422)


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, le=10_000)
    quantity: int = Field(ge=1, le=100_000)


class RequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "return_refund", "lines": [{"line_no": 1, "quantity": 1}], "reason": "尺寸不合"}
            ]
        },
    )
    kind: RequestKind
    lines: list[LineIn] = Field(default_factory=list, max_length=200)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    note: Text = ""


class MyRequestOut(BaseModel):
    """A request as its customer sees it: the shop's handling of the goods stays inside."""

    model_config = CLOSED
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
    refund_reference: str | None
    photos: list[str]
    created_at: datetime
    updated_at: datetime


class ReviewOut(BaseModel):
    model_config = CLOSED
    id: int
    order_number: str
    line_no: int
    sku: str
    product_id: int
    stars: int
    text: str
    hidden: bool
    hidden_reason: str
    author: str
    photos: list[str]
    created_at: str


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, le=10_000)
    stars: int = Field(ge=1, le=5)
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class MessageOut(BaseModel):
    model_config = CLOSED
    id: int
    author_kind: str
    author: str
    body: str
    at: str


class AftersalesOut(BaseModel):
    model_config = CLOSED
    requests: list[MyRequestOut]
    reviews: list[ReviewOut]
    messages: list[MessageOut]


def me(who: Principal) -> Any:
    return my_aftersales.customer_ref(who.id, who.label)


async def _write(db: Database, fn: Any, status: int = 200, **kwargs: Any) -> Response:
    return json_response(await db.write(fn, **kwargs), status=status)


@router.get(
    "/orders/{number}/aftersales", response_model=AftersalesOut, responses=problems(401, 403, 404),
    summary="My requests with their progress, my reviews and my messages on one order",
)  # fmt: skip
async def get_aftersales(number: NumberPath, db: DB, who: Customer) -> Response:
    async with db.read() as session:
        return json_response(await my_aftersales.overview(session, order_number=number, customer=me(who)))


@router.post(
    "/orders/{number}/aftersales/requests", status_code=201, response_model=MyRequestOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Ask for a return, refund, exchange or lost-parcel compensation within the policy window",
)  # fmt: skip
async def post_request(number: NumberPath, data: RequestIn, db: DB, who: Customer) -> Response:
    lines = [RequestedLine(ln.line_no, ln.quantity) for ln in data.lines]
    return await _write(
        db, my_aftersales.open_request, 201, order_number=number, customer=me(who), kind=data.kind,
        lines=lines, reason=data.reason, note=data.note,
    )  # fmt: skip


@router.post(
    "/orders/{number}/aftersales/requests/{request}/withdraw", response_model=MyRequestOut,
    responses=problems(401, 403, 404, 409), summary="Withdraw a request staff have not decided yet",
)  # fmt: skip
async def post_withdraw(number: NumberPath, request: RequestPath, db: DB, who: Customer) -> Response:
    return await _write(db, my_aftersales.withdraw, order_number=number, number=request, customer=me(who))


@router.post(
    "/orders/{number}/aftersales/requests/{request}/photos", status_code=201, response_model=PhotoOut,
    responses=PHOTO_ERRORS, summary="Add a photo to a request (JPEG, PNG or WebP; re-encoded, no metadata)",
)  # fmt: skip
async def post_request_photo(
    number: NumberPath, request: RequestPath, db: DB, who: Customer, photo: Annotated[UploadFile, File()]
) -> Response:
    data = await photo.read()
    return await _write(
        db,
        my_aftersales.add_request_photo,
        201,
        order_number=number,
        number=request,
        customer=me(who),
        data=data,
    )


@router.post(
    "/orders/{number}/reviews", status_code=201, response_model=ReviewOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Review one item of a completed order (1-5 stars, text)",
)  # fmt: skip
async def post_review(number: NumberPath, data: ReviewIn, db: DB, who: Customer) -> Response:
    return await _write(
        db, my_aftersales.post_review, 201, order_number=number, customer=me(who), line_no=data.line_no,
        stars=data.stars, text=data.text,
    )  # fmt: skip


@router.post(
    "/orders/{number}/reviews/{review_id}/photos", status_code=201, response_model=PhotoOut,
    responses=PHOTO_ERRORS, summary="Add a photo to my review (曬單)",
)  # fmt: skip
async def post_review_photo(
    number: NumberPath, review_id: ReviewPath, db: DB, who: Customer, photo: Annotated[UploadFile, File()]
) -> Response:
    data = await photo.read()
    return await _write(
        db, my_aftersales.add_review_photo, 201, order_number=number, review_id=review_id,
        customer=me(who), data=data,
    )  # fmt: skip


@router.post(
    "/orders/{number}/messages", status_code=201, response_model=MessageOut,
    responses=problems(401, 403, 404, 422), summary="Write to customer service about the order",
)  # fmt: skip
async def post_message(number: NumberPath, data: MessageIn, db: DB, who: Customer) -> Response:
    return await _write(
        db, order_threads.post_customer_message, 201, order_number=number, customer=me(who), body=data.body
    )


@router.get(
    "/photos/{token}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}, **problems(401, 403, 404)},
    summary="One of my photos (reviews and requests on my orders)",
)
async def get_photo(token: Annotated[str, Path(max_length=40)], db: DB, who: Customer) -> Response:
    async with db.read() as session:
        photo = await order_reviews.read_photo(session, token=token, customer=me(who))
    return photo_response(photo.data, photo.content_type, photo.id)
