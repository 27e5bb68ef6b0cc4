"""Review photos are real images, stripped and served safely; reviews are moderated; threads
reach the order timeline."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from dingdan.aftersales.errors import NotAnImage, OutsidePolicy, PhotoTooLarge
from dingdan.aftersales.photos import PhotoLimits, prepare_photo
from dingdan.aftersales.rules import RequestKind
from dingdan.orders.errors import OrderNotFound
from dingdan.orders.states import OrderStatus
from dingdan.platform import events
from dingdan.workflows.aftersales_flow import RequestedLine, open_request
from dingdan.workflows.order_reviews import add_review_photo, post_review, read_photo
from dingdan.workflows.order_threads import customer_messages, post_customer_message

from .conftest import OWNER, STRANGER, delivered_order, move

LIMITS = PhotoLimits(max_bytes=200_000, max_pixels=4_000_000, max_side=1024)


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (25.0, 2.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png(size) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 0).save(out, format="PNG")
    return out.getvalue()


def test_photos_are_re_encoded_without_metadata():
    raw = jpeg_with_gps()
    assert b"PhoneMaker" in raw
    prepared = prepare_photo(raw, LIMITS)
    assert prepared.content_type == "image/jpeg"
    assert b"PhoneMaker" not in prepared.content and b"Exif" not in prepared.content
    assert Image.open(io.BytesIO(prepared.content)).getexif() == {}


@pytest.mark.parametrize(
    "data",
    [b"<script>alert(1)</script>", b"GIF89a<script>", b"%PDF-1.7\n", jpeg_with_gps()[:200], b""],
    ids=["script", "gif-header-script", "pdf", "truncated-jpeg", "empty"],
)
def test_anything_but_a_whole_image_is_refused(data):
    with pytest.raises(NotAnImage):
        prepare_photo(data, LIMITS)


def test_too_many_bytes_or_pixels_is_refused():
    with pytest.raises(PhotoTooLarge):
        prepare_photo(b"\xff" * 200_001, LIMITS)
    with pytest.raises(PhotoTooLarge):
        prepare_photo(png((4000, 1001)), LIMITS)


@given(st.binary(max_size=2000))
def test_random_bytes_never_pass_as_a_photo(data):
    with pytest.raises((NotAnImage, PhotoTooLarge)):
        prepare_photo(data, LIMITS)


async def request_number(client, db, login) -> str:
    order = await delivered_order(client, db, login)
    view = await db.write(
        open_request, order_number=order["number"], customer=OWNER, kind=RequestKind.RETURN_REFUND,
        lines=[RequestedLine(1, 1)], reason="破損",
    )  # fmt: skip
    return view["number"]


async def test_uploads_get_a_clear_4xx_unless_they_are_images(client, db, login):
    number = await request_number(client, db, login)
    support = await login("support")
    url = f"/api/v1/aftersales/requests/{number}/photos"
    cases = [
        ("note.txt", b"just text", "text/plain", 415),
        ("photo.jpg", b"<script>alert(1)</script>", "image/jpeg", 415),
        ("bomb.png", png((8000, 8000)), "image/png", 413),
    ]
    for name, data, ctype, status in cases:
        response = await client.post(url, files={"photo": (name, data, ctype)}, headers=support)
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "/photo"
    huge = b"\xff\xd8" + b"0" * (6 * 1024 * 1024)
    response = await client.post(url, files={"photo": ("big.jpg", huge, "image/jpeg")}, headers=support)
    assert response.status_code == 413


async def test_a_photo_is_served_with_safe_headers_to_staff_only(client, db, login):
    number = await request_number(client, db, login)
    support = await login("support")
    upload = await client.post(
        f"/api/v1/aftersales/requests/{number}/photos",
        files={"photo": ('../../evil".html', jpeg_with_gps(), "text/html")},
        headers=support,
    )
    assert upload.status_code == 201, upload.text
    url = upload.json()["url"]
    assert (await client.get(url)).status_code == 401
    served = await client.get(url, headers=await login("analyst"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith('inline; filename="photo-')
    assert "evil" not in served.headers["content-disposition"]
    assert b"PhoneMaker" not in served.content
    detail = (await client.get(f"/api/v1/aftersales/requests/{number}", headers=support)).json()
    assert detail["photos"] == [url]


async def test_reviews_with_photos_once_completed_and_moderated_with_a_reason(client, db, login):
    order = await delivered_order(client, db, login)
    number = order["number"]
    with pytest.raises(OutsidePolicy):
        await db.write(post_review, order_number=number, customer=OWNER, line_no=1, stars=5, text="讚")
    await move(db, number, OrderStatus.COMPLETED)
    with pytest.raises(OrderNotFound):
        await db.write(post_review, order_number=number, customer=STRANGER, line_no=1, stars=1, text="爛")
    review = await db.write(
        post_review, order_number=number, customer=OWNER, line_no=1, stars=5, text="很好用"
    )
    photo = await db.write(add_review_photo, review_id=review["id"], customer=OWNER, data=jpeg_with_gps())
    token = photo["url"].rsplit("/", 1)[1]
    async with db.read() as session:
        assert (await read_photo(session, token=token, customer=OWNER)).content_type == "image/jpeg"
        with pytest.raises(Exception) as refused:
            await read_photo(session, token=token, customer=STRANGER)
    assert getattr(refused.value, "status", None) == 404

    support = await login("support")
    url = f"/api/v1/aftersales/reviews/{review['id']}/moderation"
    assert (await client.post(url, json={"hidden": True}, headers=support)).status_code == 422
    hidden = await client.post(url, json={"hidden": True, "reason": "含個人電話"}, headers=support)
    assert hidden.json()["hidden"] and hidden.json()["hidden_reason"] == "含個人電話"
    assert hidden.json()["photos"] == [photo["url"]]
    assert (
        await client.post(url, json={"hidden": True, "reason": "x"}, headers=await login("clerk"))
    ).status_code == 403


async def test_thread_messages_are_answered_by_support_and_land_in_the_timeline(client, db, login):
    order = await delivered_order(client, db, login)
    number = order["number"]
    await db.write(post_customer_message, order_number=number, customer=OWNER, body="請問可以開統編嗎?")
    with pytest.raises(OrderNotFound):
        await db.write(post_customer_message, order_number=number, customer=STRANGER, body="hi")
    support = await login("support")
    waiting = (
        await client.get("/api/v1/aftersales/threads?status=waiting_for_staff", headers=support)
    ).json()
    assert [t["order_number"] for t in waiting["items"]] == [number]
    reply = await client.post(
        f"/api/v1/aftersales/threads/{number}/messages", json={"body": "可以的"}, headers=support
    )
    assert reply.status_code == 201
    assert (
        await client.post(
            f"/api/v1/aftersales/threads/{number}/messages",
            json={"body": "x"},
            headers=await login("warehouse"),
        )
    ).status_code == 403
    async with db.read() as session:
        seen = await customer_messages(session, order_number=number, customer=OWNER)
        timeline = [
            e for e in await events.list_for(session, "order", number) if e.topic == "order.message_posted"
        ]
    assert [(m["author_kind"], m["body"]) for m in seen] == [
        ("customer", "請問可以開統編嗎?"),
        ("staff", "可以的"),
    ]
    assert [e.payload["author_kind"] for e in timeline] == ["customer", "staff"]
