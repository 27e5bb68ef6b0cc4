"""After-sales on the order page: the forms appear only where the state allows them, work with
a photo, and never reach another customer's order or photos."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from factories.shop import make_sku
from portal.conftest import place_mine
from portal.test_my_aftersales import jpeg
from portal.test_my_orders import move
from portal.test_portal_pages import sign_in_page

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_review_with_a_photo_return_request_and_message_on_the_order_page(client, db, customer):
    clock.set_clock(clock.FrozenClock(START))
    me = await customer("page-buyer@example.com")
    sku = await make_sku(db, stock=5, price="300")
    number = (await place_mine(client, me, (sku, 2), payment="cod"))["number"]
    token = await sign_in_page(client, "page-buyer@example.com")
    page = await client.get(f"/account/orders/{number}")
    assert 'data-testid="request-return"' not in page.text and 'data-testid="review-form"' not in page.text
    assert 'data-testid="send-message"' in page.text

    await move(db, number, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    page = await client.get(f"/account/orders/{number}")
    assert 'data-testid="request-return"' in page.text and 'data-testid="review-form"' not in page.text
    sent = await client.post(
        f"/account/orders/{number}/returns",
        data={
            "csrf_token": token,
            "kind": "return_refund",
            "line_no": "1",
            "quantity": "1",
            "reason": "太小",
        },
        files={"photo": ("box.jpg", jpeg(), "image/jpeg")},
    )
    assert sent.status_code == 303, sent.text
    page = await client.get(f"/account/orders/{number}")
    assert "待審核" in page.text and 'data-testid="withdraw"' in page.text
    photo_url = re.search(r'src="(/account/photos/[^"]+)"', page.text).group(1)
    image = await client.get(photo_url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"

    await client.post(f"/account/orders/{number}/confirm-receipt", data={"csrf_token": token})
    reviewed = await client.post(
        f"/account/orders/{number}/reviews",
        data={"csrf_token": token, "line_no": "1", "stars": "4", "text": "很好用"},
        files={"photo": ("me.jpg", jpeg(), "image/jpeg")},
    )
    assert reviewed.status_code == 303, reviewed.text
    refused = await client.post(
        f"/account/orders/{number}/reviews",
        data={"csrf_token": token, "line_no": "1", "stars": "4"},
        files={"photo": ("x.jpg", b"not an image", "image/jpeg")},
    )
    assert refused.status_code == 409 and "已評價" in refused.text
    await client.post(f"/account/orders/{number}/messages", data={"csrf_token": token, "body": "何時退款?"})
    page = await client.get(f"/account/orders/{number}")
    assert "★★★★☆" in page.text and "很好用" in page.text and "何時退款?" in page.text
    assert 'data-testid="review-photo"' in page.text

    # another customer: the same 404 for the page, the forms and the photo
    await customer("page-other@example.com")
    client.cookies.clear()
    other = await sign_in_page(client, "page-other@example.com")
    assert (await client.get(photo_url)).status_code == 404
    for path, form in (
        ("returns", {"kind": "refund_only", "line_no": "1", "quantity": "1", "reason": "x"}),
        ("messages", {"body": "hi"}),
        ("reviews", {"line_no": "1", "stars": "5"}),
    ):
        tried = await client.post(f"/account/orders/{number}/{path}", data={"csrf_token": other, **form})
        assert tried.status_code == 404, path
