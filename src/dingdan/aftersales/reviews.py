"""Reviews of bought items (stars, text, photos) and their moderation, and stored photos."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales.errors import AlreadyReviewed, PhotoNotFound, ReviewNotFound, TooManyPhotos
from dingdan.aftersales.models import Photo, Review
from dingdan.aftersales.photos import PreparedPhoto
from dingdan.platform import clock
from dingdan.platform.errors import InvalidInput

MAX_PHOTOS = 6


async def create_review(
    session: AsyncSession,
    *,
    order_number: str,
    line_no: int,
    sku: str,
    product_id: int,
    stars: int,
    text: str,
    author: str,
) -> Review:
    if not 1 <= stars <= 5:
        raise InvalidInput("stars are 1 to 5", field="stars")
    at = clock.now()
    review = Review(
        order_number=order_number, line_no=line_no, sku=sku, product_id=product_id, stars=stars,
        text=text, hidden=False, hidden_reason="", author=author, created_at=at, updated_at=at,
    )  # fmt: skip
    try:
        async with session.begin_nested():
            session.add(review)
            await session.flush()
    except IntegrityError as exc:
        raise AlreadyReviewed("this item of the order has a review already", field="line_no") from exc
    return review


async def get_review(session: AsyncSession, *, review_id: int) -> Review:
    found = await session.get(Review, review_id)
    if found is None:
        raise ReviewNotFound("no review {review_id}", params={"review_id": review_id}, field="review_id")
    return found


async def moderate(session: AsyncSession, *, review: Review, hide: bool, reason: str, actor: str) -> Review:
    if hide and not reason.strip():
        raise InvalidInput("say why the review is hidden", field="reason")
    review.hidden, review.hidden_reason = hide, reason.strip() if hide else ""
    review.moderated_by, review.updated_at = actor, clock.now()
    await session.flush()
    return review


async def list_reviews(
    session: AsyncSession,
    *,
    order_number: str | None = None,
    hidden: bool | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Review]:
    filters = [
        Review.order_number == order_number if order_number else None,
        Review.hidden.is_(hidden) if hidden is not None else None,
        Review.id < after_id if after_id else None,
    ]
    stmt = (
        select(Review).where(*[f for f in filters if f is not None]).order_by(Review.id.desc()).limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def store_photo(
    session: AsyncSession,
    *,
    photo: PreparedPhoto,
    order_number: str,
    actor: str,
    review_id: int | None = None,
    request_id: int | None = None,
) -> Photo:
    owner = Photo.review_id == review_id if review_id is not None else Photo.request_id == request_id
    count = await session.scalar(select(func.count()).select_from(Photo).where(owner))
    if (count or 0) >= MAX_PHOTOS:
        raise TooManyPhotos(
            "at most {max_photos} photos each", params={"max_photos": MAX_PHOTOS}, field="photo"
        )
    row = Photo(
        token=secrets.token_urlsafe(24), order_number=order_number, review_id=review_id,
        request_id=request_id, content_type=photo.content_type, width=photo.width,
        height=photo.height, size=len(photo.content), data=photo.content, uploaded_by=actor,
        created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def get_photo(session: AsyncSession, *, token: str) -> Photo:
    found = await session.scalar(select(Photo).where(Photo.token == token))
    if found is None:
        raise PhotoNotFound("no such photo", field="token")
    return found


async def photo_tokens(
    session: AsyncSession, *, review_ids: Sequence[int] = (), request_ids: Sequence[int] = ()
) -> dict[tuple[str, int], list[str]]:
    """("review" | "request", id) -> the photo tokens, oldest first."""
    stmt = (
        select(Photo.review_id, Photo.request_id, Photo.token)
        .where(Photo.review_id.in_(list(review_ids)) | Photo.request_id.in_(list(request_ids)))
        .order_by(Photo.id)
    )
    found: dict[tuple[str, int], list[str]] = {}
    for review_id, request_id, token in await session.execute(stmt):
        key = ("review", int(review_id)) if review_id is not None else ("request", int(request_id or 0))
        found.setdefault(key, []).append(token)
    return found


def photo_url(token: str) -> str:
    return f"/api/v1/aftersales/photos/{token}"


def review_view(review: Review, photos: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "id": review.id,
        "order_number": review.order_number,
        "line_no": review.line_no,
        "sku": review.sku,
        "product_id": review.product_id,
        "stars": review.stars,
        "text": review.text,
        "hidden": review.hidden,
        "hidden_reason": review.hidden_reason,
        "author": review.author,
        "photos": [photo_url(t) for t in photos],
        "created_at": review.created_at.isoformat(),
    }
