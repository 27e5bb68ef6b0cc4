"""The portal pages over HTTP: sign-in, CSRF, and nobody reaching someone else's order."""

from __future__ import annotations

import re

from factories.shop import make_sku
from portal.conftest import place_mine


async def sign_in_page(client, username, password="sesame-street"):
    """A browser-like session: CSRF cookie from the form, then the sign-in post."""
    form = await client.get("/account/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = await client.post(
        "/account/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    return token


async def test_pages_need_a_signed_in_customer(client):
    answer = await client.get("/account/orders?tab=to_ship")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account/login?next=%2Faccount%2Forders%3Ftab%3Dto_ship"


async def test_a_form_without_the_csrf_token_is_refused(client, customer):
    await customer("csrf@example.com")
    await client.get("/account/login")
    answer = await client.post(
        "/account/login", data={"username": "csrf@example.com", "password": "sesame-street"}
    )
    assert answer.status_code == 403


async def test_someone_elses_order_page_is_the_same_404_as_a_missing_one(client, db, customer):
    sku = await make_sku(db, stock=5)
    bob = await customer("bob@example.com")
    await customer("alice@example.com")
    bobs = await place_mine(client, bob, (sku, 1))
    token = await sign_in_page(client, "alice@example.com")
    missing_number = bobs["number"][:-1] + ("2" if bobs["number"][-1] != "2" else "3")
    theirs = await client.get(f"/account/orders/{bobs['number']}")
    missing = await client.get(f"/account/orders/{missing_number}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    for action in ("cancel", "pay", "confirm-receipt"):
        tried = await client.post(f"/account/orders/{bobs['number']}/{action}", data={"csrf_token": token})
        assert tried.status_code == 404
    listing = await client.get("/account/orders")
    assert bobs["number"] not in listing.text
    assert (await client.get(f"/api/v1/me/orders/{bobs['number']}", headers=bob)).json()[
        "status"
    ] == "pending_payment"


async def test_the_list_offers_tabs_with_counts_in_both_languages(client, db, customer):
    sku = await make_sku(db, stock=5)
    me = await customer("tabs@example.com")
    await place_mine(client, me, (sku, 1))
    await sign_in_page(client, "tabs@example.com")
    zh = (await client.get("/account/orders")).text
    for label in ("待付款", "待發貨", "已發貨", "已完成", "已取消", "全部"):
        assert label in zh
    en = (await client.get("/account/orders?lang=en")).text
    assert "To pay" in en and "To ship" in en
