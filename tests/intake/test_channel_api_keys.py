"""Channel settings over the API, and API keys: shown once, stored hashed, one channel each."""

from __future__ import annotations

from sqlalchemy import func, select

from dingdan.channels.models import ChannelApiKey
from dingdan.orders.models import Order
from factories.shop import make_sku, order_body


async def new_key(client, headers, channel: str = "web") -> dict:
    answer = await client.post(
        f"/api/v1/channels/{channel}/api-keys", json={"name": "storefront"}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_channel_takes_its_types_defaults(client, login):
    owner = await login("owner")
    market = await client.post(
        "/api/v1/channels", json={"code": "shopee", "name": "蝦皮", "type": "marketplace"}, headers=owner
    )
    site = await client.post(
        "/api/v1/channels", json={"code": "shop2", "name": "站", "type": "website"}, headers=owner
    )
    assert (market.json()["stock_policy"], market.json()["orders_arrive_paid"]) == ("backorder", True)
    assert (site.json()["stock_policy"], site.json()["orders_arrive_paid"]) == ("reject", False)
    changed = await client.patch(
        "/api/v1/channels/shopee", json={"stock_policy": "reject", "auto_confirm": True}, headers=owner
    )
    assert (changed.json()["stock_policy"], changed.json()["auto_confirm"]) == ("reject", True)


async def test_the_key_is_shown_once_and_stored_hashed(client, db, login):
    owner = await login("owner")
    created = await new_key(client, owner)
    assert created["key"].startswith("ddk_")
    assert created["key"].startswith(created["display_prefix"])
    listed = (await client.get("/api/v1/channels/web/api-keys", headers=owner)).json()
    assert [k["display_prefix"] for k in listed] == [created["display_prefix"]]
    assert "key" not in listed[0]
    async with db.read() as session:
        stored = await session.scalar(select(ChannelApiKey.key_hash))
    assert created["key"] not in stored and len(stored) == 64


async def test_a_key_places_orders_on_its_own_channel_only(client, db, login):
    sku = await make_sku(db, stock=5)
    key = (await new_key(client, await login("owner"), "web"))["key"]
    as_channel = {"Authorization": f"Bearer {key}"}
    own = await client.post("/api/v1/orders", json=order_body((sku, 1), channel="web"), headers=as_channel)
    assert own.status_code == 201, own.text
    other = await client.post("/api/v1/orders", json=order_body((sku, 1), channel="app"), headers=as_channel)
    assert other.status_code == 403
    assert other.json()["errors"][0]["field"] == "/channel"
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1


async def test_a_key_may_not_do_staff_things(client, login):
    key = (await new_key(client, await login("owner")))["key"]
    as_channel = {"Authorization": f"Bearer {key}"}
    for method, path in (
        ("GET", "/api/v1/orders"),
        ("GET", "/api/v1/channels"),
        ("GET", "/api/v1/imports/x"),
    ):
        answer = await client.request(method, path, headers=as_channel)
        assert answer.status_code == 403, (path, answer.text)


async def test_a_revoked_key_is_refused(client, db, login):
    sku = await make_sku(db, stock=5)
    owner = await login("owner")
    created = await new_key(client, owner)
    revoked = await client.delete(f"/api/v1/channels/web/api-keys/{created['id']}", headers=owner)
    assert revoked.json()["revoked_at"] is not None
    answer = await client.post(
        "/api/v1/orders", json=order_body((sku, 1)), headers={"Authorization": f"Bearer {created['key']}"}
    )
    assert answer.status_code == 401


async def test_two_keys_of_one_channel_share_the_idempotency_scope(client, db, login):
    sku = await make_sku(db, stock=5)
    owner = await login("owner")
    first, second = (await new_key(client, owner))["key"], (await new_key(client, owner))["key"]
    body = order_body((sku, 1))
    answers = [
        await client.post(
            "/api/v1/orders",
            json=body,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "cart-77"},
        )
        for key in (first, second)
    ]
    assert [a.status_code for a in answers] == [201, 200]
    assert answers[0].json()["number"] == answers[1].json()["number"]


async def test_only_the_owner_manages_channels(client, login):
    clerk = await login("clerk")
    assert (await client.post("/api/v1/channels/web/api-keys", headers=clerk)).status_code == 403
    assert (
        await client.patch("/api/v1/channels/web", json={"auto_confirm": True}, headers=clerk)
    ).status_code == 403
