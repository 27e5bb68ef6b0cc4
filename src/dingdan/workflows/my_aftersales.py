"""After-sales as the customer sees it on one of their orders: their return and refund requests,
their reviews (曬單) and their conversation with customer service, with photos served through
their own account. Every step checks the order is theirs and that what it names (a request, a
review) belongs to that order, so another customer's things are simply "not found"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import reviews, threads
from dingdan.aftersales import rules as aftersales_rules
from dingdan.aftersales import service as aftersales
from dingdan.aftersales.errors import OutsidePolicy, RequestNotFound, ReviewNotFound
from dingdan.aftersales.models import AftersalesRequest, Review
from dingdan.aftersales.threads import AuthorKind
from dingdan.workflows import aftersales_flow, order_reviews
from dingdan.workflows.customer_access import CustomerRef, get_owned_order

PHOTO_PATH = "/api/v1/me/photos/"
STAFF_AUTHOR = "客服"


def customer_ref(customer_id: int, label: str) -> CustomerRef:
    """A signed-in customer account as the after-sales workflows know it."""
    return CustomerRef(customer_id=customer_id, label=label)


def my_photo_url(token: str) -> str:
    return PHOTO_PATH + token


def _my_photos(tokens: Sequence[str]) -> list[str]:
    return [my_photo_url(t) for t in tokens]


STAFF_ONLY = ("disposition", "warehouse", "requested_by")  # what the shop did with the goods, who typed it


def _my_request(view: dict[str, Any], tokens: Sequence[str] = ()) -> dict[str, Any]:
    """A request as its customer sees it: without the shop's own handling, with their photos."""
    return {**{k: v for k, v in view.items() if k not in STAFF_ONLY}, "photos": _my_photos(tokens)}


async def owned_request(
    session: AsyncSession, *, order_number: str, number: str, customer: CustomerRef
) -> AftersalesRequest:
    await get_owned_order(session, number=order_number, customer=customer)
    try:
        request = await aftersales.get_request(session, number=number)
    except RequestNotFound:
        request = None
    if request is None or request.order_number != order_number:
        raise RequestNotFound("no request {number}", params={"number": number}, field="request")
    return request


async def owned_review(
    session: AsyncSession, *, order_number: str, review_id: int, customer: CustomerRef
) -> Review:
    await get_owned_order(session, number=order_number, customer=customer)
    try:
        review = await reviews.get_review(session, review_id=review_id)
    except ReviewNotFound:
        review = None
    if review is None or review.order_number != order_number:
        raise ReviewNotFound("no review {review_id}", params={"review_id": review_id}, field="review_id")
    return review


async def overview(session: AsyncSession, *, order_number: str, customer: CustomerRef) -> dict[str, Any]:
    """{"requests", "reviews", "messages"} of one of the customer's orders, photos included."""
    await get_owned_order(session, number=order_number, customer=customer)
    requests = await aftersales.list_requests(session, order_number=order_number, limit=100)
    written = await reviews.list_reviews(session, order_number=order_number, limit=100)
    tokens = await reviews.photo_tokens(
        session, review_ids=[r.id for r in written], request_ids=[r.id for r in requests]
    )
    messages = await threads.list_messages(session, order_number=order_number)
    return {
        "requests": [
            _my_request(aftersales.request_view(r), tokens.get(("request", r.id), []))
            for r in reversed(requests)
        ],
        "reviews": [_review_view(r, tokens.get(("review", r.id), [])) for r in reversed(written)],
        "messages": [_message_view(m) for m in messages],
    }


def _review_view(review: Review, tokens: Sequence[str]) -> dict[str, Any]:
    view = reviews.review_view(review)
    return {**view, "photos": _my_photos(tokens)}


def _message_view(message: threads.Message) -> dict[str, Any]:
    view = threads.message_view(message)
    if view["author_kind"] == AuthorKind.STAFF.value:
        view["author"] = STAFF_AUTHOR  # staff sign-in names stay inside the shop
    return view


async def open_request(
    session: AsyncSession,
    *,
    order_number: str,
    customer: CustomerRef,
    kind: aftersales_rules.RequestKind,
    lines: Sequence[aftersales_flow.RequestedLine],
    reason: str,
    note: str = "",
) -> dict[str, Any]:
    view = await aftersales_flow.open_request(
        session,
        order_number=order_number,
        customer=customer,
        kind=kind,
        lines=lines,
        reason=reason,
        note=note,
    )
    return _my_request(view)


async def withdraw(
    session: AsyncSession, *, order_number: str, number: str, customer: CustomerRef
) -> dict[str, Any]:
    request = await owned_request(session, order_number=order_number, number=number, customer=customer)
    view = await aftersales_flow.withdraw(session, number=number, customer=customer)
    tokens = await reviews.photo_tokens(session, review_ids=[], request_ids=[request.id])
    return _my_request(view, tokens.get(("request", request.id), []))


async def add_request_photo(
    session: AsyncSession, *, order_number: str, number: str, customer: CustomerRef, data: bytes
) -> dict[str, Any]:
    request = await owned_request(session, order_number=order_number, number=number, customer=customer)
    if request.status in aftersales_rules.CLOSED:
        raise OutsidePolicy("the request is closed", field="request")
    view = await order_reviews.add_request_photo(session, number=number, actor=customer.actor, data=data)
    return {**view, "url": my_photo_url(view["url"].rsplit("/", 1)[-1])}


async def add_review_photo(
    session: AsyncSession, *, order_number: str, review_id: int, customer: CustomerRef, data: bytes
) -> dict[str, Any]:
    await owned_review(session, order_number=order_number, review_id=review_id, customer=customer)
    view = await order_reviews.add_review_photo(session, review_id=review_id, customer=customer, data=data)
    return {**view, "url": my_photo_url(view["url"].rsplit("/", 1)[-1])}


async def post_review(
    session: AsyncSession, *, order_number: str, customer: CustomerRef, line_no: int, stars: int, text: str
) -> dict[str, Any]:
    view = await order_reviews.post_review(
        session, order_number=order_number, customer=customer, line_no=line_no, stars=stars, text=text
    )
    return {**view, "photos": []}
