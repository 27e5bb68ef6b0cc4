"""My orders over the API: placing as the customer, tabs and filters, actions, and BOLA."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.pagination import encode_cursor
from factories.shop import make_sku, stock_of
from portal.conftest import my_order_body, place_mine

NEW_ADDRESS = {
    "shipping_address": {
        "recipient": "林小美",
        "phone": "0933-111-222",
        "country": "TW",
        "city": "新北市",
        "district": "板橋區",
        "postal_code": "220",
        "line1": "文化路一段 188 號",
    }
}


async def move(db, number, *steps, **changes):
    """Staff-side progress of an order (shipping is another part of the system)."""

    async def run(session):
        order = await orders.get_order_row(session, number=number, for_update=True)
        for step in steps:
            order = await orders.transition(session, order=order, to=step, actor="test", changes=changes)

    await db.write(run)


async def test_an_order_placed_as_the_customer_is_theirs_and_customer_safe(client, db, customer):
    sku = await make_sku(db, stock=5, price="450", attributes={"顏色": "黑", "尺寸": "M"})
    me = await customer("0922333444")
    body = my_order_body((sku, 2))
    body["lines"][0]["unit_price"] = "1"  # a customer never sets prices
    refused = await client.post("/api/v1/me/orders", json=body, headers=me)
    assert refused.status_code == 422
    order = await place_mine(client, me, (sku, 2))
    assert order["status"] == "pending_payment" and order["tab"] == "pending_payment"
    assert order["actions"] == ["pay", "cancel", "change_address"]
    assert order["lines"][0]["attributes"] == {"顏色": "黑", "尺寸": "M"}
    assert (order["subtotal"], order["shipping_fee"], order["total"]) == ("900", "80", "980")
    assert "review_issues" not in order and "external_id" not in order
    assert order["contact"]["phone"] == "0922333444"
    assert await stock_of(db, sku) == (5, 2, 3)
    async with db.read() as session:
        row = await orders.get_order_row(session, number=order["number"])
    assert row["customer_id"] is not None and row["channel_code"] == "web"


async def test_the_same_idempotency_key_places_one_order(client, db, customer):
    sku = await make_sku(db, stock=5)
    me = await customer()
    headers = {**me, "Idempotency-Key": "checkout-42"}
    first = await client.post("/api/v1/me/orders", json=my_order_body((sku, 1)), headers=headers)
    again = await client.post("/api/v1/me/orders", json=my_order_body((sku, 1)), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert await stock_of(db, sku) == (5, 1, 4)


async def test_tabs_counts_filters_and_cursor(client, db, customer):
    cheap = await make_sku(db, stock=50, price="100")
    dear = await make_sku(db, stock=50, price="2000")
    me = await customer()
    unpaid = [await place_mine(client, me, (cheap, 1)) for _ in range(3)]
    cod = await place_mine(client, me, (dear, 1), payment="cod")
    await client.post(f"/api/v1/me/orders/{unpaid[0]['number']}/cancel", headers=me)
    page = (await client.get("/api/v1/me/orders", headers=me)).json()
    assert page["counts"] == {
        "pending_payment": 2,
        "to_ship": 1,
        "shipped": 0,
        "completed": 0,
        "cancelled": 1,
        "all": 4,
    }
    assert page["items"][0]["number"] == cod["number"]
    row = page["items"][0]
    assert row["first_item"]["product_name"].startswith("商品") and row["more_items"] == 0
    to_ship = (await client.get("/api/v1/me/orders?tab=to_ship", headers=me)).json()["items"]
    assert [o["number"] for o in to_ship] == [cod["number"]]
    expensive = (await client.get("/api/v1/me/orders?min_amount=1000", headers=me)).json()
    assert [o["number"] for o in expensive["items"]] == [cod["number"]]
    assert expensive["counts"]["all"] == 1
    cheap_only = (await client.get("/api/v1/me/orders?max_amount=500&tab=pending_payment", headers=me)).json()
    assert len(cheap_only["items"]) == 2
    by_sku = (await client.get(f"/api/v1/me/orders?q={dear}", headers=me)).json()["items"]
    assert [o["number"] for o in by_sku] == [cod["number"]]
    by_category = (await client.get("/api/v1/me/orders?category=test", headers=me)).json()["counts"]["all"]
    assert by_category == 4
    future = (clock.now() + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert (await client.get("/api/v1/me/orders", params={"from": future}, headers=me)).json()["items"] == []
    first = (await client.get("/api/v1/me/orders?limit=3", headers=me)).json()
    rest = (await client.get(f"/api/v1/me/orders?limit=3&cursor={first['next_cursor']}", headers=me)).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    bad = await client.get("/api/v1/me/orders?cursor=nonsense", headers=me)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "/cursor"
    beyond_any_id = encode_cursor(2**70)  # well formed, but no database holds such an id
    bad = await client.get(f"/api/v1/me/orders?cursor={beyond_any_id}", headers=me)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "/cursor"


async def test_cancel_unpaid_releases_stock_and_is_refused_later(client, db, customer):
    sku = await make_sku(db, stock=4)
    me = await customer()
    order = await place_mine(client, me, (sku, 3))
    cancelled = await client.post(f"/api/v1/me/orders/{order['number']}/cancel", headers=me)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["actions"] == []
    assert await stock_of(db, sku) == (4, 0, 4)
    again = await client.post(f"/api/v1/me/orders/{order['number']}/cancel", headers=me)
    assert again.status_code == 409 and again.json()["type"] == "/problems/action-not-allowed"
    cod = await place_mine(client, me, (sku, 1), payment="cod")  # confirmed: merchant must cancel
    refused = await client.post(f"/api/v1/me/orders/{cod['number']}/cancel", headers=me)
    assert refused.status_code == 409


async def test_address_changes_until_a_parcel_leaves(client, db, customer):
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 1), payment="cod")
    url = f"/api/v1/me/orders/{order['number']}/shipping-address"
    changed = await client.put(url, json=NEW_ADDRESS, headers=me)
    assert changed.status_code == 200, changed.text
    assert changed.json()["shipping_address"]["city"] == "新北市"
    assert changed.json()["shipping_address"]["phone"] == "0933111222"
    wrong = {"shipping_address": {**NEW_ADDRESS["shipping_address"], "district": "不存在區"}}
    invalid = await client.put(url, json=wrong, headers=me)
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "/shipping_address/district"
    await move(db, order["number"], OrderStatus.PARTIALLY_SHIPPED, fulfillment_status="partially_shipped")
    locked = await client.put(url, json=NEW_ADDRESS, headers=me)
    assert locked.status_code == 409
    assert locked.json()["type"] == "/problems/address-locked"
    assert locked.json()["errors"][0]["field"] == "/shipping_address"


async def test_confirm_receipt_completes_a_delivered_order(client, db, customer):
    sku = await make_sku(db, stock=5)
    me = await customer()
    order = await place_mine(client, me, (sku, 1), payment="cod")
    url = f"/api/v1/me/orders/{order['number']}/confirm-receipt"
    assert (await client.post(url, headers=me)).status_code == 409
    await move(db, order["number"], OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    assert (await client.get(f"/api/v1/me/orders/{order['number']}", headers=me)).json()["actions"] == [
        "confirm_receipt"
    ]
    done = await client.post(url, headers=me)
    assert (
        done.status_code == 200 and done.json()["status"] == "completed" and done.json()["tab"] == "completed"
    )


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("POST", "/cancel", None),
        ("PUT", "/shipping-address", NEW_ADDRESS),
        ("POST", "/confirm-receipt", None),
        ("POST", "/pay", None),
    ],
)
async def test_s_sec_1_customer_a_never_reaches_customer_b_orders(client, db, customer, method, suffix, body):
    sku = await make_sku(db, stock=5)
    alice, bob = await customer(), await customer()
    bobs = await place_mine(client, bob, (sku, 1))
    missing_number = bobs["number"][:-1] + ("2" if bobs["number"][-1] != "2" else "3")
    theirs = await client.request(
        method, f"/api/v1/me/orders/{bobs['number']}{suffix}", json=body, headers=alice
    )
    missing = await client.request(
        method, f"/api/v1/me/orders/{missing_number}{suffix}", json=body, headers=alice
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace(bobs["number"], "N") == missing.text.replace(missing_number, "N")
    untouched = (await client.get(f"/api/v1/me/orders/{bobs['number']}", headers=bob)).json()
    assert untouched == bobs
    listed = (await client.get("/api/v1/me/orders", params={"q": bobs["number"]}, headers=alice)).json()
    assert listed["items"] == [] and listed["counts"]["all"] == 0
