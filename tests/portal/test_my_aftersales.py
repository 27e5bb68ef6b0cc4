"""After-sales on my orders over the API: returns, reviews with photos, messages — and none of
it reachable for another customer."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.workflows.complete_delivered import complete_delivered_orders
from factories.shop import make_sku
from portal.conftest import place_mine
from portal.test_my_orders import move

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


async def delivered(client, db, me) -> str:
    sku = await make_sku(db, stock=5, price="400")
    order = await place_mine(client, me, (sku, 2), payment="cod")
    await move(db, order["number"], OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    return str(order["number"])


def base(number: str) -> str:
    return f"/api/v1/me/orders/{number}"


async def test_a_return_is_requested_with_a_photo_followed_and_withdrawn(client, db, customer, login):
    clock.set_clock(clock.FrozenClock(START))
    me = await customer()
    number = await delivered(client, db, me)
    body = {"kind": "return_refund", "lines": [{"line_no": 1, "quantity": 1}], "reason": "尺寸不合"}
    made = await client.post(f"{base(number)}/aftersales/requests", json=body, headers=me)
    assert made.status_code == 201, made.text
    request = made.json()
    assert (request["status"], request["refund_amount"]) == ("requested", "400.00")
    url = f"{base(number)}/aftersales/requests/{request['number']}"
    photo = await client.post(f"{url}/photos", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, headers=me)
    assert photo.status_code == 201, photo.text
    mine = (await client.get(f"{base(number)}/aftersales", headers=me)).json()
    assert mine["requests"][0]["photos"] == [photo.json()["url"]]
    image = await client.get(photo.json()["url"], headers=me)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"

    # an open request holds the automatic completion; withdrawn, the order completes
    clock.set_clock(clock.FrozenClock(START.replace(day=12)))
    assert await complete_delivered_orders(db) == 0
    withdrawn = await client.post(f"{url}/withdraw", headers=me)
    assert withdrawn.json()["status"] == "withdrawn"
    assert await complete_delivered_orders(db) == 1
    assert (await client.post(f"{url}/withdraw", headers=me)).status_code == 409


async def test_a_request_outside_the_window_or_before_delivery_is_refused(client, db, customer):
    clock.set_clock(clock.FrozenClock(START))
    me = await customer()
    sku = await make_sku(db, stock=5)
    shipped = await place_mine(client, me, (sku, 1), payment="cod")
    body = {"kind": "return_refund", "lines": [{"line_no": 1, "quantity": 1}], "reason": "壞了"}
    early = await client.post(f"{base(shipped['number'])}/aftersales/requests", json=body, headers=me)
    assert early.status_code == 409 and early.json()["errors"][0]["field"] == "/kind"
    number = await delivered(client, db, me)
    clock.set_clock(clock.FrozenClock(START.replace(day=30)))
    late = await client.post(f"{base(number)}/aftersales/requests", json=body, headers=me)
    assert late.status_code == 409


async def test_a_completed_order_is_reviewed_with_a_photo_and_messages_get_replies(
    client, db, customer, login
):
    clock.set_clock(clock.FrozenClock(START))
    me = await customer()
    number = await delivered(client, db, me)
    review = {"line_no": 1, "stars": 5, "text": "質感很好"}
    assert (await client.post(f"{base(number)}/reviews", json=review, headers=me)).status_code == 409
    await client.post(f"{base(number)}/confirm-receipt", headers=me)
    posted = await client.post(f"{base(number)}/reviews", json=review, headers=me)
    assert posted.status_code == 201, posted.text
    photo_url = f"{base(number)}/reviews/{posted.json()['id']}/photos"
    script = await client.post(
        photo_url, files={"photo": ("x.jpg", b"<script>alert(1)</script>", "image/jpeg")}, headers=me
    )
    assert 400 <= script.status_code < 500
    assert (
        await client.post(photo_url, files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, headers=me)
    ).status_code == 201

    asked = await client.post(f"{base(number)}/messages", json={"body": "請問可以開發票嗎?"}, headers=me)
    assert asked.status_code == 201
    support = await login("support")
    await client.post(
        f"/api/v1/aftersales/threads/{number}/messages", json={"body": "可以的"}, headers=support
    )
    mine = (await client.get(f"{base(number)}/aftersales", headers=me)).json()
    assert [(m["author_kind"], m["body"]) for m in mine["messages"]] == [
        ("customer", "請問可以開發票嗎?"),
        ("staff", "可以的"),
    ]
    assert "@" not in mine["messages"][1]["author"]
    assert mine["reviews"][0]["stars"] == 5 and len(mine["reviews"][0]["photos"]) == 1


async def test_another_customer_gets_the_same_404_as_for_a_missing_order(client, db, customer):
    clock.set_clock(clock.FrozenClock(START))
    owner, stranger = await customer(), await customer()
    number = await delivered(client, db, owner)
    body = {"kind": "refund_only", "lines": [{"line_no": 1, "quantity": 1}], "reason": "少一件"}
    request = (await client.post(f"{base(number)}/aftersales/requests", json=body, headers=owner)).json()
    request_url = f"{base(number)}/aftersales/requests/{request['number']}"
    photo = await client.post(
        f"{request_url}/photos", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, headers=owner
    )
    attempts = [
        ("GET", f"{base(number)}/aftersales", None),
        ("POST", f"{base(number)}/aftersales/requests", body),
        ("POST", f"{request_url}/withdraw", None),
        ("POST", f"{base(number)}/messages", {"body": "hi"}),
        ("POST", f"{base(number)}/reviews", {"line_no": 1, "stars": 1}),
        ("GET", photo.json()["url"], None),
    ]
    for method, url, payload in attempts:
        theirs = await client.request(method, url, json=payload, headers=stranger)
        missing = await client.request(
            method, url.replace(number, "260101-NOSUCH00"), json=payload, headers=stranger
        )
        assert theirs.status_code == 404, url
        if "photos" not in url:
            assert theirs.json()["type"] == missing.json()["type"]
    other = await delivered(client, db, stranger)
    # the owner's request named under the stranger's own order is not found either
    crossed = await client.post(
        f"{base(other)}/aftersales/requests/{request['number']}/withdraw", headers=stranger
    )
    assert crossed.status_code == 404
