"""Parcels that go quiet or go wrong: flagged, a case opened, worked from the queue."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dingdan.platform import clock
from dingdan.shipping.adapters.sim_journey import SimProfile
from dingdan.workflows.carriers import get_carriers, use_carriers
from dingdan.workflows.parcel_jobs import flag_stuck_parcels, poll_carriers
from factories.shipping import known_carriers, place_confirmed_order, push_sim, ship, sim_of, timeline
from factories.shop import make_sku

TAIPEI = ZoneInfo("Asia/Taipei")


def frozen() -> clock.FrozenClock:
    fixed = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(fixed)
    return fixed


async def sign_in_again(client, email):
    answer = await client.post("/api/v1/auth/token", data={"username": email, "password": "correct horse"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def shipped(client, db, login):
    sku = await make_sku(db)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
    staff = await login("warehouse")
    return number, await ship(client, number, staff), staff


async def test_a_parcel_never_picked_up_is_flagged_once_and_a_case_opened(client, db, login, carriers):
    fixed = frozen()
    number, parcel, staff = await shipped(client, db, login)
    fixed.advance(hours=23)
    assert await flag_stuck_parcels(db) == 0
    fixed.advance(hours=2)
    assert await flag_stuck_parcels(db) == 1
    assert await flag_stuck_parcels(db) == 0  # flagged once per rule
    detail = (await client.get(f"/api/v1/shipments/{parcel['id']}", headers=staff)).json()
    assert detail["stuck_rule"] == "not_picked_up"
    queue = (await client.get("/api/v1/shipping/exceptions?status=open", headers=staff)).json()["items"]
    assert [(c["kind"], c["cause"], c["order_number"]) for c in queue] == [("stuck", "not_picked_up", number)]
    assert queue[0]["customer_message"]
    stuck = [e["data"] for e in await timeline(client, number, staff) if e["topic"] == "order.parcel_stuck"]
    assert [(s["rule"], s["silent_hours"], s["case_id"]) for s in stuck] == [("not_picked_up", 25, queue[0]["id"])]
    on_order = (await client.get(f"/api/v1/orders/{number}/shipments", headers=staff)).json()
    assert [c["id"] for c in on_order["open_cases"]] == [queue[0]["id"]]


async def test_thirty_silent_days_expire_the_parcel(client, db, login, carriers):
    fixed = frozen()
    _number, parcel, staff = await shipped(client, db, login)
    fixed.advance(days=31)
    assert await flag_stuck_parcels(db) == 1
    assert (await client.get("/api/v1/auth/me", headers=staff)).status_code == 401  # 30-day token
    staff = await sign_in_again(client, "warehouse@shop.test")
    detail = (await client.get(f"/api/v1/shipments/{parcel['id']}", headers=staff)).json()
    assert (detail["status"], detail["stuck_rule"]) == ("expired", "no_update_30_days")
    assert detail["events"][-1]["raw_code"] == "DINGDAN-EXPIRED"
    causes = [c["cause"] for c in (await client.get("/api/v1/shipping/exceptions", headers=staff)).json()["items"]]
    assert causes == ["expired"]
    fixed.advance(days=1)
    assert await flag_stuck_parcels(db) == 0


async def test_a_lost_parcel_opens_a_case_that_the_merchant_works_and_resolves(client, db, login):
    use_carriers(known_carriers(SimProfile(0, 0, 0, 0, 0, loss_share=1)))
    try:
        fixed = frozen()
        number, parcel, staff = await shipped(client, db, login)
        fixed.advance(days=3)
        sim = sim_of(get_carriers())
        assert (await push_sim(client, sim, parcel["tracking_number"])).status_code == 200
    finally:
        use_carriers(None)
    detail = (await client.get(f"/api/v1/shipments/{parcel['id']}", headers=staff)).json()
    assert (detail["status"], detail["reason"]) == ("exception", "lost")
    (case,) = (await client.get(f"/api/v1/orders/{number}/shipments", headers=staff)).json()["open_cases"]
    assert (case["kind"], case["cause"], case["status"]) == ("carrier", "lost", "open")
    assert "遺失" in case["customer_message"]
    url = f"/api/v1/shipping/exceptions/{case['id']}"
    working = await client.patch(
        url,
        json={"status": "in_progress", "owner": "warehouse@shop.test", "action": {"type": "contact_carrier", "note": "已致電"}},
        headers=staff,
    )
    assert working.status_code == 200 and working.json()["owner"] == "warehouse@shop.test"
    unexplained = await client.patch(url, json={"status": "resolved"}, headers=staff)
    assert unexplained.status_code == 422 and unexplained.json()["errors"][0]["field"] == "/resolution"
    resolved = await client.patch(
        url, json={"status": "resolved", "resolution": "已補寄", "action": {"type": "reship"}}, headers=staff
    )
    body = resolved.json()
    assert body["status"] == "resolved" and body["resolved_at"]
    assert [(a["type"], a["actor"]) for a in body["actions"]] == [
        ("contact_carrier", "staff:warehouse@shop.test"),
        ("reship", "staff:warehouse@shop.test"),
    ]
    assert (await client.get(f"/api/v1/orders/{number}/shipments", headers=staff)).json()["open_cases"] == []
    bad = await client.patch(url, json={"status": "gone"}, headers=staff)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/shipping/exceptions", headers=await login("analyst"))).status_code == 403


async def test_polling_follows_a_parcel_and_stops_at_the_end(client, db, login, carriers):
    fixed = frozen()
    number, parcel, staff = await shipped(client, db, login)
    assert await poll_carriers(db) == 0  # not due yet
    for _ in range(40):
        fixed.advance(hours=6)
        await poll_carriers(db)
    detail = (await client.get(f"/api/v1/shipments/{parcel['id']}", headers=staff)).json()
    assert detail["status"] == "delivered"
    assert {e["source"] for e in detail["events"]} == {"poll"}
    assert await poll_carriers(db) == 0  # a delivered parcel is not polled again
    order = (await client.get(f"/api/v1/orders/{number}", headers=staff)).json()
    assert order["status"] == "delivered"
