"""The order page, the review queue and the manual order form."""

from __future__ import annotations

import re

from factories.shop import make_sku, order_body, stock_of


async def place(client, headers, *lines, **extra) -> str:
    answer = await client.post("/api/v1/orders", json=order_body(*lines, **extra), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


async def test_the_order_page_shows_lines_people_and_a_timeline_with_notes(client, db, login, console):
    api = await login("owner")
    tee = await make_sku(db, stock=5, price="450", attributes={"顏色": "深藍", "尺寸": "M"})
    number = await place(client, api, (tee, 2), channel="manual")
    page = await console("clerk")
    html = (await page.get(f"/console/orders/{number}")).text
    assert "顏色: 深藍" in html and "尺寸: M" in html
    assert "王小明" in html and "復興南路一段 100 號" in html and "貨到付款" in html
    assert "建立訂單" in html and 'data-testid="confirm"' in html
    noted = await page.post(f"/console/orders/{number}/notes", data={"csrf_token": page.csrf, "text": "客戶要求週末送達"})
    assert noted.status_code == 303
    html = (await page.get(f"/console/orders/{number}")).text
    assert "客戶要求週末送達" in html and "clerk@shop.test" in html and "內部備註" in html
    english = (await page.get(f"/console/orders/{number}?lang=en")).text
    assert "Internal note" in english and "Cash on delivery" in english


async def test_confirm_and_cancel_from_the_order_page(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=5)
    number = await place(client, api, (cup, 2), channel="manual")
    page = await console("owner")
    await page.post(f"/console/orders/{number}/confirm", data={"csrf_token": page.csrf})
    html = (await page.get(f"/console/orders/{number}")).text
    assert "已確認" in html and 'data-testid="confirm"' not in html
    refused = await page.post(f"/console/orders/{number}/cancel", data={"csrf_token": page.csrf})
    assert "error=reason-needed" in refused.headers["location"]
    await page.post(f"/console/orders/{number}/cancel", data={"csrf_token": page.csrf, "reason": "缺貨"})
    assert await stock_of(db, cup) == (5, 0, 5)
    html = (await page.get(f"/console/orders/{number}")).text
    assert "已取消" in html and 'data-testid="edit"' not in html and "缺貨" in html


async def test_editing_lines_from_the_console(client, db, login, console):
    api = await login("owner")
    cup, tea = await make_sku(db, stock=10, price="300"), await make_sku(db, stock=10, price="200")
    number = await place(client, api, (cup, 1))
    page = await console("clerk")
    form = (await page.get(f"/console/orders/{number}/edit")).text
    assert f'value="{cup}"' in form
    answer = await page.post(f"/console/orders/{number}/edit", data={
        "csrf_token": page.csrf, "sku": [cup, tea, ""], "quantity": ["3", "2", ""],
        "unit_price": ["", "150", ""], "reason": "電話加購"})
    assert answer.status_code == 303
    assert await stock_of(db, cup) == (10, 3, 7) and await stock_of(db, tea) == (10, 2, 8)
    html = (await page.get(f"/console/orders/{number}")).text
    assert "修改訂單" in html and "電話加購" in html and "$1,280" in html
    too_many = await page.post(f"/console/orders/{number}/edit", data={
        "csrf_token": page.csrf, "sku": [cup], "quantity": ["50"], "unit_price": [""], "reason": "x"})
    assert too_many.status_code == 422 and "alert" in too_many.text
    assert await stock_of(db, cup) == (10, 3, 7)
    support = await console("support")
    assert (await support.get(f"/console/orders/{number}/edit")).status_code == 403


async def test_the_review_queue_spells_out_issues_and_fixes_them(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=10, price="300")
    body = order_body((cup, 1), channel="manual")
    body["shipping_address"].update(district="信義區", postal_code="106")
    body["lines"][0]["unit_price"] = "250"
    number = (await client.post("/api/v1/orders", json=body, headers=api)).json()["number"]
    page = await console("owner")
    queue = (await page.get("/console/review")).text
    assert number in queue
    assert "郵遞區號與鄉鎮市區不符" in queue and "售價 250 與目錄價格 300" in queue
    english = (await page.get("/console/review?lang=en")).text
    assert "The postal code does not match the district" in english
    fixed = await page.post(f"/console/orders/{number}/correct", data={
        "csrf_token": page.csrf, "back": "/console/review", "then": "confirm", "customer_phone": "0912345678",
        "recipient": "王小明", "phone": "0912345678", "city": "臺北市", "district": "信義區", "postal_code": "110",
        "line1": "松仁路 100 號", "line2": "", "sku": [cup], "quantity": ["2"], "unit_price": ["300"],
        "reason": "客戶來電更正"})
    assert fixed.status_code == 303 and "done=confirmed" in fixed.headers["location"]
    order = (await client.get(f"/api/v1/orders/{number}", headers=api)).json()
    assert order["status"] == "confirmed" and order["review_issues"] == []
    assert order["shipping_address"]["postal_code"] == "110" and order["lines"][0]["quantity"] == 2
    assert await stock_of(db, cup) == (10, 2, 8)
    assert number not in (await page.get("/console/review")).text


async def test_the_review_queue_hides_forms_from_an_analyst(client, db, login, console):
    api = await login("owner")
    cup = await make_sku(db, stock=10)
    number = await place(client, api, (cup, 1), channel="manual")
    analyst = await console("analyst")
    queue = (await analyst.get("/console/review")).text
    assert number in queue and 'data-testid="save-confirm"' not in queue
    refused = await analyst.post(f"/console/orders/{number}/correct", data={"csrf_token": analyst.csrf})
    assert refused.status_code == 403


async def test_s_idem_11_a_phone_order_is_placed_once_even_when_submitted_twice(client, db, login, console):
    cup = await make_sku(db, stock=10, price="300")
    page = await console("support")
    form = (await page.get("/console/orders/new")).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    found = (await page.get("/console/products/search", params={"q": cup})).text
    assert cup in found and "可用 10" in found
    districts = (await page.get("/console/taiwan/districts", params={"city": "臺中市"})).text
    assert 'data-postal="407"' in districts and "西屯區" in districts
    data = {
        "csrf_token": page.csrf, "idempotency_key": key, "channel": "manual", "payment_method": "bank_transfer",
        "customer_name": "林志豪", "customer_phone": "0933555777", "customer_email": "",
        "recipient": "", "phone": "", "city": "臺中市", "district": "西屯區", "postal_code": "407",
        "line1": "臺灣大道三段 99 號", "line2": "", "note": "", "price_reason": "老客戶優惠",
        "sku": [cup], "quantity": ["2"], "unit_price": ["280"],
    }
    first = await page.post("/console/orders/new", data=data)
    second = await page.post("/console/orders/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await stock_of(db, cup) == (10, 2, 8)
    order = (await page.get(first.headers["location"])).text
    assert "改價原因" in order and "老客戶優惠" in order and "林志豪" in order


def phone_order(csrf: str, key: str, sku: str, *, quantity: str, unit_price: str) -> dict[str, object]:
    """The phone-order form as a clerk fills it in: one line, cash on delivery."""
    return {"csrf_token": csrf, "idempotency_key": key, "channel": "manual", "payment_method": "cod",
            "customer_name": "林志豪", "customer_phone": "0933555777", "city": "臺中市", "district": "西屯區",
            "postal_code": "407", "line1": "臺灣大道三段 99 號", "sku": [sku], "quantity": [quantity],
            "unit_price": [unit_price]}  # fmt: skip


async def test_a_changed_price_needs_a_reason_and_bad_input_is_shown(client, db, login, console):
    cup = await make_sku(db, stock=10, price="300")
    page = await console("clerk")
    data = phone_order(page.csrf, "k1", cup, quantity="1", unit_price="1")
    no_reason = await page.post("/console/orders/new", data=data)
    assert no_reason.status_code == 422 and "請填寫改價原因" in no_reason.text
    no_lines = await page.post("/console/orders/new", data={**data, "sku": [], "quantity": [], "unit_price": []})
    assert no_lines.status_code == 422
    assert await stock_of(db, cup) == (10, 0, 10)
    analyst = await console("analyst")
    assert (await analyst.get("/console/orders/new")).status_code == 403


async def test_a_refused_phone_order_says_why_in_the_console_language(client, db, login, console):
    cup = await make_sku(db, stock=1, price="300")
    page = await console("clerk")
    data = phone_order(page.csrf, "k-refused", cup, quantity="5", unit_price="")
    refused = await page.post("/console/orders/new", data=data)
    assert refused.status_code == 422
    assert f"{cup} 庫存不足" in refused.text and "not enough stock" not in refused.text
    in_english = await page.post("/console/orders/new?lang=en", data={**data, "idempotency_key": "k-refused-en"})
    assert f"not enough stock for {cup}" in in_english.text
    assert await stock_of(db, cup) == (1, 0, 1)
