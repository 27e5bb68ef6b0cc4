"""Reviews with photos (曬單) once an order is completed, and who may see a photo."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import reviews
from dingdan.aftersales import service as aftersales
from dingdan.aftersales.errors import OutsidePolicy, PhotoNotFound
from dingdan.aftersales.models import Photo
from dingdan.aftersales.photos import PhotoLimits, prepare_photo
from dingdan.orders import service as orders
from dingdan.orders.errors import OrderNotFound
from dingdan.orders.states import OrderStatus
from dingdan.platform.errors import InvalidInput
from dingdan.platform.settings import get_settings
from dingdan.workflows.customer_access import CustomerRef, get_owned_order, owns


def photo_limits() -> PhotoLimits:
    settings = get_settings()
    return PhotoLimits(settings.photo_max_bytes, settings.photo_max_pixels, settings.photo_max_side)


async def post_review(
    session: AsyncSession, *, order_number: str, customer: CustomerRef, line_no: int, stars: int, text: str
) -> dict[str, Any]:
    order = await get_owned_order(session, number=order_number, customer=customer)
    if order["status"] != OrderStatus.COMPLETED.value:
        raise OutsidePolicy("an order can be reviewed once it is completed", field="number")
    lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    line = next((ln for ln in lines if ln["line_no"] == line_no), None)
    if line is None:
        raise InvalidInput("the order has no line {line_no}", params={"line_no": line_no}, field="line_no")
    review = await reviews.create_review(
        session, order_number=order_number, line_no=line_no, sku=line["sku"],
        product_id=line["product_id"], stars=stars, text=text.strip(), author=order["customer_name"],
    )  # fmt: skip
    await orders.record_timeline(
        session, order_number, "order.reviewed", customer.actor, line_no=line_no, stars=stars
    )
    return reviews.review_view(review)


async def add_review_photo(
    session: AsyncSession, *, review_id: int, customer: CustomerRef, data: bytes
) -> dict[str, Any]:
    review = await reviews.get_review(session, review_id=review_id)
    await get_owned_order(session, number=review.order_number, customer=customer)
    prepared = prepare_photo(data, photo_limits())
    photo = await reviews.store_photo(
        session, photo=prepared, order_number=review.order_number, actor=customer.actor, review_id=review.id
    )
    return photo_view(photo)


async def add_request_photo(session: AsyncSession, *, number: str, actor: str, data: bytes) -> dict[str, Any]:
    """Evidence for an after-sales request (a damaged item, the parcel as it arrived)."""
    request = await aftersales.get_request(session, number=number)
    prepared = prepare_photo(data, photo_limits())
    photo = await reviews.store_photo(
        session, photo=prepared, order_number=request.order_number, actor=actor, request_id=request.id
    )
    return photo_view(photo)


async def read_photo(session: AsyncSession, *, token: str, customer: CustomerRef | None) -> Photo:
    """The photo for staff (customer None) or for the order's owner; others get not-found."""
    photo = await reviews.get_photo(session, token=token)
    if customer is None:
        return photo
    try:
        order = await orders.get_order_row(session, number=photo.order_number)
    except OrderNotFound:
        order = None
    if order is None or not owns(order, customer):
        raise PhotoNotFound("no such photo", field="token")
    return photo


def photo_view(photo: Photo) -> dict[str, Any]:
    return {
        "url": reviews.photo_url(photo.token),
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "size": photo.size,
    }


async def moderate_review(
    session: AsyncSession, *, review_id: int, hide: bool, reason: str, actor: str
) -> dict[str, Any]:
    review = await reviews.get_review(session, review_id=review_id)
    await reviews.moderate(session, review=review, hide=hide, reason=reason, actor=actor)
    topic = "order.review_hidden" if hide else "order.review_shown"
    await orders.record_timeline(session, review.order_number, topic, actor, review=review.id, reason=reason)
    tokens = await reviews.photo_tokens(session, review_ids=[review.id])
    return reviews.review_view(review, tokens.get(("review", review.id), []))
