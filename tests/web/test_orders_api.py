"""Placing, confirming and cancelling orders over the API, as an integrator does."""

from __future__ import annotations

import asyncio

from dingdan.platform.db import StatementCounter
from factories.shop import make_sku, order_body, stock_of


async def test_place_order_reserves_stock_and_answers_with_the_order(client, db, login):
    sku = await make_sku(db, stock=10, price="590")
    headers = await login("clerk")
    response = await client.post("/api/v1/orders", json=order_body((sku, 2)), headers=headers)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "confirmed"  # web auto-confirms a clean cash-on-delivery order
    assert order["tab"] == "to_ship"
    assert order["payment_status"] == "unpaid"
    assert order["fulfillment_status"] == "unfulfilled"
    assert order["review_issues"] == []
    assert order["lines"][0]["line_total"] == "1180"
    assert order["total"] == "1180"  # free shipping from 1000
    assert response.headers["location"] == f"/api/v1/orders/{order['number']}"
    assert await stock_of(db, sku) == (10, 2, 8)
    again = await client.get(f"/api/v1/orders/{order['number']}", headers=headers)
    assert again.json() == order


async def test_shipping_fee_and_discount_make_the_total(client, db, login):
    sku = await make_sku(db, price="300")
    body = order_body((sku, 1), discount="50")
    order = (await client.post("/api/v1/orders", json=body, headers=await login("clerk"))).json()
    assert (order["subtotal"], order["shipping_fee"], order["discount"], order["total"]) == (
        "300",
        "80",
        "50",
        "330",
    )


async def test_online_payment_waits_in_pending_payment(client, db, login):
    sku = await make_sku(db)
    order = (
        await client.post(
            "/api/v1/orders", json=order_body((sku, 1), payment="online"), headers=await login("clerk")
        )
    ).json()
    assert order["status"] == "pending_payment"
    assert order["tab"] == "pending_payment"


async def test_review_issues_are_named_and_hold_the_order(client, db, login):
    sku = await make_sku(db, price="500")
    body = order_body((sku, 1))
    body["lines"][0]["unit_price"] = "1"
    body["shipping_address"].update(district="不存在區", phone="12345")
    order = (await client.post("/api/v1/orders", json=body, headers=await login("clerk"))).json()
    codes = {i["code"]: i["field"] for i in order["review_issues"]}
    assert codes["price_mismatch"] == "/lines/0/unit_price"
    assert codes["address_unknown_district"] == "/shipping_address/district"
    assert codes["phone_invalid"] == "/shipping_address/phone"
    assert order["status"] == "pending_review"


async def test_duplicate_order_is_suspected(client, db, login):
    sku = await make_sku(db)
    headers = await login("clerk")
    first = (await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)).json()
    second = (await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)).json()
    assert first["review_issues"] == []
    assert second["review_issues"][0]["code"] == "duplicate_suspected"
    assert second["review_issues"][0]["params"]["order"] == first["number"]


async def test_confirm_and_cancel_follow_the_state_machine_and_write_the_timeline(client, db, login):
    sku = await make_sku(db, stock=5)
    headers = await login("clerk")
    body = order_body((sku, 3), channel="manual")  # manual orders wait for the merchant
    order = (await client.post("/api/v1/orders", json=body, headers=headers)).json()
    assert order["status"] == "pending_review"
    number = order["number"]
    confirmed = await client.post(f"/api/v1/orders/{number}/confirm", headers=headers)
    assert confirmed.json()["status"] == "confirmed"
    again = await client.post(f"/api/v1/orders/{number}/confirm", headers=headers)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/invalid-transition"
    cancelled = await client.post(
        f"/api/v1/orders/{number}/cancel", json={"reason": "客戶取消"}, headers=headers
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["tab"] == "cancelled"
    assert await stock_of(db, sku) == (5, 0, 5)
    timeline = (await client.get(f"/api/v1/orders/{number}/timeline", headers=headers)).json()
    assert [(e["topic"], e["from_status"], e["to_status"]) for e in timeline] == [
        ("order.placed", None, "pending_review"),
        ("order.confirmed", "pending_review", "confirmed"),
        ("order.cancelled", "confirmed", "cancelled"),
    ]
    assert timeline[2]["reason"] == "客戶取消"
    assert timeline[2]["actor"] == "staff:clerk@shop.test"
    assert (await client.post(f"/api/v1/orders/{number}/cancel", headers=headers)).status_code == 409


async def test_list_filters_by_tab_channel_and_text_with_a_cursor(client, db, login):
    sku = await make_sku(db, stock=50)
    headers = await login("clerk")
    numbers = []
    for index in range(5):
        body = order_body((sku, 1), channel="manual" if index % 2 else "web", external_id=f"EXT-{index}")
        body["customer"]["phone"] = f"091234567{index}"
        numbers.append((await client.post("/api/v1/orders", json=body, headers=headers)).json()["number"])
    page1 = (await client.get("/api/v1/orders?limit=2", headers=headers)).json()
    page2 = (
        await client.get(f"/api/v1/orders?limit=2&cursor={page1['next_cursor']}", headers=headers)
    ).json()
    assert [o["number"] for o in page1["items"] + page2["items"]] == numbers[::-1][:4]
    manual = (await client.get("/api/v1/orders?channel=manual", headers=headers)).json()["items"]
    assert {o["number"] for o in manual} == {numbers[1], numbers[3]}
    review = (await client.get("/api/v1/orders?status=pending_review", headers=headers)).json()["items"]
    assert {o["number"] for o in review} == {numbers[1], numbers[3]}
    found = (await client.get("/api/v1/orders?q=EXT-2", headers=headers)).json()["items"]
    assert [o["number"] for o in found] == [numbers[2]]
    by_sku = (await client.get(f"/api/v1/orders?q={sku}&tab=to_ship", headers=headers)).json()["items"]
    assert len(by_sku) == 5
    bad = await client.get("/api/v1/orders?cursor=nonsense", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "/cursor"


async def test_placing_an_order_costs_the_same_few_statements_whatever_its_size(client, db, login):
    skus = [await make_sku(db, stock=100) for _ in range(5)]
    headers = await login("clerk")
    await client.post("/api/v1/orders", json=order_body((skus[0], 1)), headers=headers)  # warm caches
    counts = []
    for size in (1, 5):
        body = order_body(*[(s, 1) for s in skus[:size]], customer_note="x")
        body.pop("customer_note")
        body["customer"]["phone"] = f"091100000{size}"
        with StatementCounter(db.write_engine) as counter:
            response = await client.post("/api/v1/orders", json=body, headers=headers)
        assert response.status_code == 201
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[0] <= 8, counts


async def test_s_idem_9_same_external_id_never_makes_two_orders(client, db, login):
    sku = await make_sku(db, stock=50)
    headers = await login("clerk")
    body = order_body((sku, 1), external_id="SHOP-777")
    answers = await asyncio.gather(
        *[client.post("/api/v1/orders", json=body, headers=headers) for _ in range(10)]
    )
    assert sorted({a.status_code for a in answers}) in ([200, 201], [201])
    assert len({a.json()["number"] for a in answers}) == 1
    assert await stock_of(db, sku) == (50, 1, 49)
