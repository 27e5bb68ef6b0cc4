"""Public tracking (物流查詢): label-level answers, one answer for every miss, rate-limited."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from dingdan.platform import clock
from dingdan.platform.db import StatementCounter
from dingdan.shipping.labels import mask_name
from factories.shipping import place_confirmed_order, push_sim, ship, sim_of
from factories.shop import make_sku

TAIPEI = ZoneInfo("Asia/Taipei")
PRIVATE = ("王小明", "0912345678", "0912-345-678", "345678", "復興南路", "100 號", "ming@example.com")


async def shipped_and_moving(client, db, login, carriers, parcels=1):
    fixed = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(fixed)
    skus = [await make_sku(db) for _ in range(parcels)]
    number = await place_confirmed_order(client, await login("clerk"), *[(s, 1) for s in skus])
    staff = await login("warehouse")
    shipped = [await ship(client, number, staff, lines=[{"sku": s, "quantity": 1}]) for s in skus]
    fixed.advance(hours=20)
    for parcel in shipped:
        await push_sim(client, sim_of(carriers), parcel["tracking_number"])
    return number, shipped


async def test_lookup_by_tracking_number_shows_what_a_label_shows(client, db, login, carriers):
    number, (parcel,) = await shipped_and_moving(client, db, login, carriers)
    answer = await client.get(f"/api/v1/tracking?tracking_number={parcel['tracking_number'].lower()}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["recipient"], body["city"], body["district"]) == ("王＊明", "臺北市", "大安區")
    assert body["order"] == {"number": number, "status": "shipped"}
    (tracked,) = body["parcels"]
    assert tracked["status"] not in ("pending", "info_received")
    assert tracked["events"] and tracked["events"][0]["at"] >= tracked["events"][-1]["at"]  # newest first
    assert all(word not in answer.text for word in PRIVATE)
    assert answer.headers["cache-control"] == "no-store"


async def test_s_sec_5_lookup_by_order_needs_the_phone_suffix_and_misses_look_alike(client, db, login, carriers):
    number, _ = await shipped_and_moving(client, db, login, carriers)
    right = await client.get(f"/api/v1/tracking?order_number={number}&phone_last4=5678")
    assert right.status_code == 200
    assert all(word not in right.text for word in PRIVATE)
    wrong_suffix = await client.get(f"/api/v1/tracking?order_number={number}&phone_last4=1234")
    unknown_order = await client.get("/api/v1/tracking?order_number=260101-ABCDEFGH&phone_last4=5678")
    unknown_parcel = await client.get("/api/v1/tracking?tracking_number=SIM0000000000")
    not_digits = await client.get(f"/api/v1/tracking?order_number={number}&phone_last4=abcd")
    answers = [wrong_suffix, unknown_order, unknown_parcel, not_digits]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    per_request = {"x-request-id"}
    assert len({tuple(sorted(h for h in a.headers.items() if h[0] not in per_request)) for a in answers}) == 1


async def test_s_sec_6_lookups_are_rate_limited(client, db, login, carriers):
    number, _ = await shipped_and_moving(client, db, login, carriers)
    codes = [
        (await client.get(f"/api/v1/tracking?order_number={number}&phone_last4={n:04d}")).status_code
        for n in range(11)
    ]
    assert codes[:10] == [404] * 10
    assert codes[10] == 429
    limited = await client.get(f"/api/v1/tracking?order_number={number}&phone_last4=5678")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


async def test_a_lookup_costs_the_same_two_statements_however_many_parcels_and_scans(client, db, login, carriers):
    small, (one,) = await shipped_and_moving(client, db, login, carriers)
    large, _ = await shipped_and_moving(client, db, login, carriers, parcels=3)
    counts = []
    for query in (
        f"tracking_number={one['tracking_number']}",
        f"order_number={small}&phone_last4=5678",
        f"order_number={large}&phone_last4=5678",
    ):
        with StatementCounter(db.read_engine) as counter:
            assert (await client.get(f"/api/v1/tracking?{query}")).status_code == 200
        counts.append(counter.count)
    assert counts == [2, 2, 2]


async def test_lookup_needs_a_number(client, db, carriers):
    answer = await client.get("/api/v1/tracking?order_number=260101-ABCDEFGH")
    assert answer.status_code == 422


@given(st.text(min_size=1, max_size=16))
def test_a_masked_name_shows_at_most_one_letter_per_word_or_the_two_ends(name):
    masked = mask_name(name)
    visible = [ch for ch in masked if ch != "＊" and not ch.isspace()]
    words = name.split()
    assert len(visible) <= max(len(words), 2)
    if len(words) == 1 and len(words[0]) >= 3:
        assert masked == words[0][0] + "＊" * (len(words[0]) - 2) + words[0][-1]
