"""My order shows its parcels as the carrier scans them; the address is locked once one left."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dingdan.platform import clock
from dingdan.workflows.carriers import use_carriers
from factories.shipping import known_carriers, push_sim, ship, sim_of
from factories.shop import make_sku
from portal.conftest import my_order_body, place_mine

TAIPEI = ZoneInfo("Asia/Taipei")
NEW_ADDRESS = my_order_body()["shipping_address"] | {"line1": "仁愛路四段 2 號"}


@pytest.fixture
def sim():
    registry = known_carriers()
    use_carriers(registry)
    yield sim_of(registry)
    use_carriers(None)


async def test_parcels_and_their_scans_show_on_my_order_and_lock_the_address(
    client, db, customer, login, sim
):
    frozen = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(frozen)
    me = await customer()
    sku = await make_sku(db, stock=5)
    number = (await place_mine(client, me, (sku, 1), payment="cod"))["number"]
    url = f"/api/v1/me/orders/{number}"
    assert (await client.get(url, headers=me)).json()["parcels"] == []
    moved = await client.put(f"{url}/shipping-address", json={"shipping_address": NEW_ADDRESS}, headers=me)
    assert moved.status_code == 200, moved.text

    parcel = await ship(client, number, await login("warehouse"))
    refused = await client.put(f"{url}/shipping-address", json={"shipping_address": NEW_ADDRESS}, headers=me)
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/address-locked"

    journey = sim.planned_journey(parcel["tracking_number"])
    frozen.advance(seconds=(journey[-1].occurred_at - frozen()).total_seconds())
    assert (await push_sim(client, sim, parcel["tracking_number"])).status_code == 200
    shown = (await client.get(url, headers=me)).json()["parcels"]
    assert [(p["carrier"], p["tracking_number"], p["status"]) for p in shown] == [
        ("sim", parcel["tracking_number"], "delivered")
    ]
    assert shown[0]["estimated_delivery"] and shown[0]["delivered_at"]
    events = shown[0]["events"]
    assert len(events) == len(journey) and events[0]["status"] == "delivered"  # newest first
    assert all(e["at"] and e["description"] for e in events)
    assert any(e["location"] for e in events)
