"""Shopify's orders/create webhook: signed over the raw body, idempotent, nothing on bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from dingdan.channels import service as channels
from dingdan.channels.models import WebhookDelivery
from dingdan.orders.models import Order
from dingdan.platform import clock
from dingdan.workflows.forget_webhooks import forget_old_webhooks
from dingdan.workflows.marketplace_intake import purge_old_deliveries
from factories.shop import make_sku, stock_of
from intake.conftest import SECRET, make_channel, shopify_headers, shopify_payload

URL = "/webhooks/shopify/shopify-tw"


async def count_orders(db) -> int:
    async with db.read() as session:
        return await session.scalar(select(func.count()).select_from(Order))


async def shop(db, *, stock: int = 10, secrets: list[str] | None = None) -> None:
    await make_channel(db, "shopify-tw", webhook_secrets=secrets or [SECRET])
    for sku in ("SKU2006-001", "SKU2006-020"):
        await make_sku(db, sku=sku, stock=stock, price="100")


async def test_signed_delivery_posted_three_times_at_once_creates_one_order(client, db, shopify_body):
    await shop(db)
    headers = shopify_headers(shopify_body)
    answers = await asyncio.gather(
        *[client.post(URL, content=shopify_body, headers=headers) for _ in range(3)]
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 201]
    assert len({a.json()["order_number"] for a in answers}) == 1
    assert await count_orders(db) == 1
    assert await stock_of(db, "SKU2006-001") == (10, 1, 9)
    async with db.read() as session:
        row = (await session.execute(select(Order.external_id, Order.payment_status, Order.placed_by))).one()
    assert row == ("820982911946154508", "paid", "channel:shopify-tw")


async def test_badly_signed_or_unsigned_deliveries_change_nothing(client, db, shopify_body):
    await shop(db)
    wrong = shopify_headers(shopify_body, secret="not-the-secret-at-all")
    unsigned = {k: v for k, v in shopify_headers(shopify_body).items() if k != "X-Shopify-Hmac-Sha256"}
    tampered = shopify_body.replace(b"Steve", b"Steff")
    for body, headers in (
        (shopify_body, wrong),
        (shopify_body, unsigned),
        (tampered, shopify_headers(shopify_body)),
    ):
        answer = await client.post(URL, content=body, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "/problems/webhook-signature-invalid"
    assert await count_orders(db) == 0
    assert await stock_of(db, "SKU2006-001") == (10, 0, 10)


async def test_the_previous_secret_stays_valid_during_a_rotation(client, db, login, shopify_body):
    await shop(db, secrets=["old-secret-0123456789"])
    owner = await login("owner")
    patched = await client.patch(
        "/api/v1/channels/shopify-tw", json={"webhook_secret": "new-secret-0123456789"}, headers=owner
    )
    assert patched.json()["webhook_secret_count"] == 2
    old = await client.post(
        URL, content=shopify_body, headers=shopify_headers(shopify_body, secret="old-secret-0123456789")
    )
    assert old.status_code == 201
    other = shopify_payload(id=1001)
    new = await client.post(
        URL, content=other, headers=shopify_headers(other, secret="new-secret-0123456789")
    )
    assert new.status_code == 201
    assert await count_orders(db) == 2


async def test_a_payload_that_cannot_be_mapped_is_422_and_writes_nothing(client, db):
    await shop(db)
    for body in (shopify_payload(line_items=[]), shopify_payload(id=None), b"{not json"):
        answer = await client.post(URL, content=body, headers=shopify_headers(body))
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"]
    assert await count_orders(db) == 0


async def test_short_stock_on_a_marketplace_is_kept_as_a_backorder(client, db, shopify_body):
    await shop(db, stock=0)
    answer = await client.post(URL, content=shopify_body, headers=shopify_headers(shopify_body))
    assert answer.status_code == 201
    async with db.read() as session:
        status = await session.scalar(select(Order.status))
    assert status == "pending_review"


async def test_a_replayed_delivery_id_is_answered_without_work(client, db, shopify_body):
    await shop(db)
    headers = shopify_headers(shopify_body, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    first = await client.post(URL, content=shopify_body, headers=headers)
    replay = await client.post(URL, content=shopify_body, headers=headers)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == {"result": "duplicate", "order_number": first.json()["order_number"]}
    other_topic = shopify_headers(shopify_body, **{"X-Shopify-Topic": "orders/updated"})
    assert (await client.post(URL, content=shopify_body, headers=other_topic)).json()["result"] == "ignored"
    assert await count_orders(db) == 1


async def test_delivery_ids_are_kept_a_week_then_forgotten(db):
    frozen = clock.FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    clock.set_clock(frozen)
    await make_channel(db, "shopify-tw")
    await db.write(channels.remember_delivery, code="shopify-tw", delivery_id="d-1", order_number=None)
    frozen.advance(days=7)
    assert await purge_old_deliveries(db) == 0
    frozen.advance(days=2)
    assert await purge_old_deliveries(db) == 1
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_unknown_channel_is_404(client, shopify_body):
    answer = await client.post(
        "/webhooks/shopify/nowhere", content=shopify_body, headers=shopify_headers(shopify_body)
    )
    assert answer.status_code == 404


async def test_s_wh_8_a_marketplace_delivery_redelivered_3_days_and_1_hour_later_is_a_duplicate(
    client, db, shopify_body
):
    frozen = clock.FrozenClock()
    clock.set_clock(frozen)
    await shop(db)
    headers = shopify_headers(shopify_body, webhook_id="0f8e3b1c-8d4e-4e5b-9a43-0d3c2f1b7a65")
    first = await client.post(URL, content=shopify_body, headers=headers)
    assert first.status_code == 201
    frozen.advance(days=3, hours=1)
    assert await forget_old_webhooks(db) == 0  # the hourly purge keeps it: inside the retention
    replay = await client.post(URL, content=shopify_body, headers=headers)
    assert (replay.status_code, replay.json()) == (
        200,
        {"result": "duplicate", "order_number": first.json()["order_number"]},
    )
    assert await count_orders(db) == 1
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
