"""Shipping an order with the simulated carrier and following it to the doorstep."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from dingdan.inventory import service as inventory
from dingdan.platform import clock
from dingdan.shipping.adapters.sim import FastClock
from factories.shipping import place_confirmed_order, push_sim, ship, sim_of, timeline
from factories.shop import make_sku, order_body, stock_of

TAIPEI = ZoneInfo("Asia/Taipei")
JOURNEY = ["pending", "info_received", "picked_up", "in_transit", "out_for_delivery", "delivered"]


async def order_of(client, number, headers):
    return (await client.get(f"/api/v1/orders/{number}", headers=headers)).json()


async def test_two_parcels_followed_to_delivery_on_a_fast_clock(client, db, login, carriers):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI)
    real_seconds = [0.0]
    fast = FastClock(start, speed=3600, monotonic=lambda: real_seconds[0])  # a second is an hour
    clock.set_clock(fast)
    cup, tea = await make_sku(db, stock=5), await make_sku(db, stock=5)
    number = await place_confirmed_order(client, await login("clerk"), (cup, 2), (tea, 1))
    staff = await login("warehouse")

    first = await ship(client, number, staff, lines=[{"sku": cup, "quantity": 2}])
    assert (first["status"], first["tracking_number"][:3]) == ("pending", "SIM")
    order = await order_of(client, number, staff)
    assert (order["status"], order["fulfillment_status"]) == ("partially_shipped", "partially_shipped")
    assert await stock_of(db, cup) == (3, 0, 3)  # left the warehouse: on hand and reserved both fell
    assert await stock_of(db, tea) == (5, 1, 4)
    second = await ship(client, number, staff)  # everything not shipped yet
    assert [ln["sku"] for ln in second["lines"]] == [tea]
    assert (await order_of(client, number, staff))["status"] == "shipped"

    sim = sim_of(carriers)
    parcels = {first["id"]: first["tracking_number"], second["id"]: second["tracking_number"]}
    seen = {sid: ["pending"] for sid in parcels}
    order_seen = ["shipped"]
    moments = sorted({scan.occurred_at for tn in parcels.values() for scan in sim.planned_journey(tn)})
    for moment in moments:
        real_seconds[0] = (moment - start).total_seconds() / 3600
        for tracking_number in parcels.values():
            assert (await push_sim(client, sim, tracking_number)).status_code == 200
        for sid, statuses in seen.items():
            status = (await client.get(f"/api/v1/shipments/{sid}", headers=staff)).json()["status"]
            if status != statuses[-1]:
                statuses.append(status)
        order = await order_of(client, number, staff)
        if order["status"] != order_seen[-1]:
            order_seen.append(order["status"])
            assert all(s[-1] == "delivered" for s in seen.values())  # only when every parcel is

    assert seen == {first["id"]: JOURNEY, second["id"]: JOURNEY}
    assert order_seen == ["shipped", "delivered"]
    assert (await order_of(client, number, staff))["fulfillment_status"] == "delivered"

    entries = await timeline(client, number, staff)
    assert [(e["topic"], e["from_status"], e["to_status"]) for e in entries if e["to_status"]] == [
        ("order.placed", None, "confirmed"),
        ("order.partially_shipped", "confirmed", "partially_shipped"),
        ("order.shipped", "partially_shipped", "shipped"),
        ("order.delivered", "shipped", "delivered"),
    ]
    for sid, tracking_number in parcels.items():
        changes = [
            (e["data"]["parcel_from"], e["data"]["parcel_to"])
            for e in entries
            if e["topic"] == "order.parcel_status" and e["data"]["tracking_number"] == tracking_number
        ]
        assert changes == list(itertools.pairwise(JOURNEY))
        detail = (await client.get(f"/api/v1/shipments/{sid}", headers=staff)).json()
        assert len(detail["events"]) == len(sim.planned_journey(tracking_number))
        assert detail["delivered_at"] and detail["route"] and detail["promised_delivery"]
    shipped_topics = [e["data"]["tracking_number"] for e in entries if e["topic"] == "order.parcel_shipped"]
    assert shipped_topics == list(parcels.values())
    async with db.read() as session:
        assert await inventory.ledger_drift(session) == []


async def test_replayed_sim_pushes_add_nothing(client, db, login, carriers):
    fixed = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(fixed)
    sku = await make_sku(db)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
    staff = await login("warehouse")
    parcel = await ship(client, number, staff)
    fixed.advance(hours=30)
    sim = sim_of(carriers)
    for _ in range(3):
        assert (await push_sim(client, sim, parcel["tracking_number"])).status_code == 200
    detail = (await client.get(f"/api/v1/shipments/{parcel['id']}", headers=staff)).json()
    expected = sim.scans_until(parcel["tracking_number"], fixed())
    assert [e["raw_code"] for e in detail["events"]] == [s.raw_code for s in expected]
    changes = [e["data"] for e in await timeline(client, number, staff) if e["topic"] == "order.parcel_status"]
    # One push carried the whole history: one change, straight to the newest status, once.
    assert [(c["parcel_from"], c["parcel_to"]) for c in changes] == [("pending", expected[-1].status.value)]


async def test_shipping_needs_a_confirmed_order_and_units_left(client, db, login, carriers):
    sku = await make_sku(db, stock=5)
    clerk = await login("clerk")
    waiting = await client.post("/api/v1/orders", json=order_body((sku, 1), channel="manual"), headers=clerk)
    number = waiting.json()["number"]
    refused = await client.post(f"/api/v1/orders/{number}/shipments", json={"carrier": "sim"}, headers=clerk)
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/order-not-shippable"

    number = await place_confirmed_order(client, clerk, (sku, 2))
    too_many = await client.post(
        f"/api/v1/orders/{number}/shipments",
        json={"carrier": "sim", "lines": [{"sku": sku, "quantity": 3}]},
        headers=clerk,
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "/lines/0/quantity"
    stranger = await client.post(
        f"/api/v1/orders/{number}/shipments",
        json={"carrier": "sim", "lines": [{"sku": "NOPE", "quantity": 1}]},
        headers=clerk,
    )
    assert stranger.json()["errors"][0]["field"] == "/lines/0/sku"
    unknown = await client.post(f"/api/v1/orders/{number}/shipments", json={"carrier": "owl"}, headers=clerk)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "/carrier"
    no_number = await client.post(
        f"/api/v1/orders/{number}/shipments", json={"carrier": "aftership"}, headers=clerk
    )
    assert no_number.status_code == 422 and no_number.json()["errors"][0]["field"] == "/tracking_number"
    assert await stock_of(db, sku) == (5, 3, 2)  # refusals changed nothing (1 + 2 reserved)

    await ship(client, number, clerk)
    again = await client.post(f"/api/v1/orders/{number}/shipments", json={"carrier": "sim"}, headers=clerk)
    assert again.status_code == 409 and again.json()["type"] == "/problems/nothing-to-ship"
    support = await client.post(
        f"/api/v1/orders/{number}/shipments", json={"carrier": "sim"}, headers=await login("support")
    )
    assert support.status_code == 403
