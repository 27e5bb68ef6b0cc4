"""Bugs the S-FUZZ-2 state machine found, pinned as plain tests (the shortest path to each)."""

from __future__ import annotations

from factories.shipping import place_confirmed_order, ship, timeline
from factories.shop import make_sku
from portal.conftest import my_order_body


async def test_s_fuzz_2_a_shipped_order_cannot_be_confirmed_again(client, db, login, carriers):
    """Confirming a shipped order moved it back to confirmed with its parcel on the road and no
    stock reserved for it (shipped → confirmed is only for parcels cancelled before pickup)."""
    owner = await login("owner")
    number = await place_confirmed_order(client, owner, (await make_sku(db, stock=2), 1))
    await ship(client, number, owner)
    again = await client.post(f"/api/v1/orders/{number}/confirm", headers=owner)
    assert again.status_code == 409 and again.json()["type"] == "/problems/invalid-transition"
    assert (await client.get(f"/api/v1/orders/{number}", headers=owner)).json()["status"] == "shipped"
    assert [e["to_status"] for e in await timeline(client, number, owner) if e["to_status"]][-1] == "shipped"


async def test_s_fuzz_2_a_customer_replaying_a_key_is_told_it_is_a_replay(client, db, customer_headers):
    body = my_order_body((await make_sku(db, stock=2), 1))
    headers = {**customer_headers, "Idempotency-Key": "checkout-1"}
    first = await client.post("/api/v1/me/orders", json=body, headers=headers)
    again = await client.post("/api/v1/me/orders", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
