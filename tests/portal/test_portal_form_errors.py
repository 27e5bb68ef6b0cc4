"""A portal form with a bad value comes back as the page, in the customer's language, with the
message next to the field and the values as typed; the JSON API keeps answering problem+json."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from factories.shop import make_sku
from portal.conftest import place_mine
from portal.test_my_orders import move
from portal.test_portal_pages import sign_in_page

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADDRESS = {
    "recipient": "林小美",
    "phone": "0922-333-444",
    "city": "臺北市",
    "district": "大安區",
    "postal_code": "106",
    "line1": "忠孝東路四段 1 號",
    "line2": "",
}


def field_error(page: str, field: str) -> str:
    """The message shown next to `field`, or '' when there is none."""
    found = re.search(rf'data-testid="field-error-{field}">([^<]*)<', page)
    return found.group(1).strip() if found else ""


def value_of(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


async def order_of(client, db, customer, username: str, *steps: OrderStatus) -> tuple[str, str]:
    """A signed-in page session and an order of that customer moved through `steps`."""
    clock.set_clock(clock.FrozenClock(START))
    me = await customer(username)
    sku = await make_sku(db, stock=5, price="300")
    number = (await place_mine(client, me, (sku, 2), payment="cod"))["number"]
    await move(db, number, *steps)
    return number, await sign_in_page(client, username)


async def test_a_bad_postal_code_comes_back_next_to_the_field_in_both_languages(client, db, customer):
    number, token = await order_of(client, db, customer, "addr-page@example.com")
    sent = {**ADDRESS, "postal_code": "999", "line1": "新生南路三段 9 號", "csrf_token": token}

    page = await client.post(f"/account/orders/{number}/address", data=sent)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert field_error(page.text, "postal_code") == "請填寫臺灣的郵遞區號（3、5 或 6 碼）。"
    assert value_of(page.text, "postal_code") == "999" and value_of(page.text, "line1") == "新生南路三段 9 號"
    assert field_error(page.text, "line1") == "" and "請檢查下方標示的欄位" in page.text

    mismatch = await client.post(f"/account/orders/{number}/address", data={**sent, "postal_code": "100"})
    assert field_error(mismatch.text, "postal_code") == "這個郵遞區號屬於其他鄉鎮市區。"
    blank = await client.post(f"/account/orders/{number}/address", data={**sent, "recipient": " "})
    assert blank.status_code == 422 and field_error(blank.text, "recipient") == "請填寫此欄位。"
    order = await client.get(f"/account/orders/{number}")
    assert "忠孝東路四段 1 號" in order.text and "新生南路" not in order.text

    english = await client.post(f"/account/orders/{number}/address?lang=en", data=sent)
    assert field_error(english.text, "postal_code") == "Enter a postal code of Taiwan: 3, 5 or 6 digits."


async def test_the_api_still_answers_problem_json_for_the_same_address(client, db, customer):
    headers = await customer("addr-api@example.com")
    sku = await make_sku(db, stock=5, price="300")
    number = (await place_mine(client, headers, (sku, 1), payment="cod"))["number"]
    body = {"shipping_address": {**ADDRESS, "postal_code": "999", "country": "TW"}}
    answer = await client.put(f"/api/v1/me/orders/{number}/shipping-address", json=body, headers=headers)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "/shipping_address/postal_code"


async def test_a_review_out_of_range_keeps_the_text_and_says_why(client, db, customer):
    number, token = await order_of(
        client, db, customer, "review-page@example.com",
        OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED,
    )  # fmt: skip
    sent = {"csrf_token": token, "line_no": "1", "stars": "9", "text": "杯子很好看"}
    page = await client.post(f"/account/orders/{number}/reviews", data=sent)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert field_error(page.text, "stars") == "請選擇 1 到 5 顆星。"
    assert ">杯子很好看</textarea>" in page.text and 'data-testid="review"' not in page.text

    english = await client.post(f"/account/orders/{number}/reviews?lang=en", data={**sent, "stars": "x"})
    assert field_error(english.text, "stars") == "Enter a whole number."


async def test_a_return_without_a_reason_keeps_the_choices_and_says_why(client, db, customer):
    number, token = await order_of(
        client, db, customer, "return-page@example.com", OrderStatus.SHIPPED, OrderStatus.DELIVERED
    )
    sent = {"csrf_token": token, "kind": "refund_only", "line_no": "1", "quantity": "2", "reason": "  "}
    page = await client.post(f"/account/orders/{number}/returns", data=sent)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert field_error(page.text, "reason") == "請填寫此欄位。"
    assert '<option value="refund_only" selected>' in page.text and value_of(page.text, "quantity") == "2"
    assert re.search(r'<details open id="form-return">', page.text)

    too_many = await client.post(
        f"/account/orders/{number}/returns?lang=en", data={**sent, "quantity": "3", "reason": "broken"}
    )
    assert too_many.status_code == 422
    assert field_error(too_many.text, "quantity") == "That is more than is left to return of this item."
    assert value_of(too_many.text, "reason") == "broken"
    assert 'data-testid="aftersales-request"' not in too_many.text


async def test_an_empty_message_keeps_nothing_sent_and_says_why(client, db, customer):
    number, token = await order_of(client, db, customer, "message-page@example.com")
    page = await client.post(f"/account/orders/{number}/messages", data={"csrf_token": token, "body": " "})
    assert page.status_code == 422 and field_error(page.text, "body") == "請填寫此欄位。"
    assert 'data-testid="message"' not in page.text


async def test_a_new_order_with_a_bad_quantity_and_address_keeps_every_value(client, db, customer):
    clock.set_clock(clock.FrozenClock(START))
    await customer("new-page@example.com")
    sku = await make_sku(db, stock=5, price="300")
    token = await sign_in_page(client, "new-page@example.com")
    sent = {**ADDRESS, "sku": sku, "quantity": "two", "note": "請下午送", "csrf_token": token}
    page = await client.post("/account/orders/new", data=sent)
    assert page.status_code == 422 and field_error(page.text, "quantity") == "請輸入整數。"
    assert value_of(page.text, "note") == "請下午送" and value_of(page.text, "recipient") == "林小美"

    no_street = await client.post("/account/orders/new?lang=en", data={**sent, "quantity": "1", "line1": ""})
    assert no_street.status_code == 422 and field_error(no_street.text, "line1") == "Please fill this in."
    assert value_of(no_street.text, "quantity") == "1" and field_error(no_street.text, "quantity") == ""
