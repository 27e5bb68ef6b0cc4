"""AfterShip and Kuaidi100 pushes over HTTP: documented samples, replays, bad signatures."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from dingdan.platform import clock
from dingdan.shipping.models import PushReceipt, TrackingEventRow
from dingdan.workflows.forget_webhooks import forget_old_webhooks
from factories.shipping import (
    AFTERSHIP_SAMPLE,
    AFTERSHIP_TRACKING_NUMBER,
    KUAIDI100_DELIVERED,
    KUAIDI100_TRACKING_NUMBER,
    aftership_headers,
    kuaidi100_form,
    place_confirmed_order,
    ship,
    timeline,
)
from factories.shop import make_sku


async def parcel_state(client, shipment_id, headers):
    detail = (await client.get(f"/api/v1/shipments/{shipment_id}", headers=headers)).json()
    return detail["status"], len(detail["events"]), detail


async def shipped_with(client, db, login, carrier, tracking_number):
    sku = await make_sku(db)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
    staff = await login("warehouse")
    parcel = await ship(client, number, staff, carrier=carrier, tracking_number=tracking_number)
    return number, parcel, staff


async def test_aftership_sample_updates_the_parcel_once_however_often_replayed(client, db, login, carriers):
    number, parcel, staff = await shipped_with(client, db, login, "aftership", AFTERSHIP_TRACKING_NUMBER)
    for _ in range(3):
        answer = await client.post(
            "/webhooks/aftership", content=AFTERSHIP_SAMPLE, headers=aftership_headers(AFTERSHIP_SAMPLE)
        )
        assert answer.status_code == 200
    assert await client.app.state.relay.drain() > 0  # applied off the request path
    status, scans, detail = await parcel_state(client, parcel["id"], staff)
    assert (status, scans) == ("delivered", 5)
    assert detail["raw_code"] == "Delivered_001"
    assert detail["current_location"]["city"] == "ORLANDO"
    assert detail["estimated_delivery"] is not None
    entries = await timeline(client, number, staff)
    assert [e["data"]["parcel_to"] for e in entries if e["topic"] == "order.parcel_status"] == ["delivered"]
    assert [e["to_status"] for e in entries if e["to_status"]][-2:] == ["shipped", "delivered"]


async def test_badly_signed_aftership_push_is_refused_and_changes_nothing(client, db, login, carriers):
    number, parcel, staff = await shipped_with(client, db, login, "aftership", AFTERSHIP_TRACKING_NUMBER)
    before = await timeline(client, number, staff)
    wrong_secret = aftership_headers(AFTERSHIP_SAMPLE, secret="not-the-secret")
    tampered = AFTERSHIP_SAMPLE.replace(b"Delivered", b"Exception")
    for body, headers in (
        (AFTERSHIP_SAMPLE, wrong_secret),
        (tampered, aftership_headers(AFTERSHIP_SAMPLE)),
        (AFTERSHIP_SAMPLE, {"Content-Type": "application/json"}),
    ):
        answer = await client.post("/webhooks/aftership", content=body, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["type"] == "/problems/push-rejected"
    await client.app.state.relay.drain()
    assert (await parcel_state(client, parcel["id"], staff))[:2] == ("pending", 0)
    assert await timeline(client, number, staff) == before


async def test_kuaidi100_sample_updates_once_and_gets_the_documented_reply(client, db, login, carriers):
    _, parcel, staff = await shipped_with(client, db, login, "kuaidi100", KUAIDI100_TRACKING_NUMBER)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(2):
        answer = await client.post(
            "/webhooks/kuaidi100", content=kuaidi100_form(KUAIDI100_DELIVERED), headers=form
        )
        assert answer.status_code == 200
        assert json.loads(answer.content) == {"result": True, "returnCode": "200", "message": "成功"}
    await client.app.state.relay.drain()
    status, scans, detail = await parcel_state(client, parcel["id"], staff)
    assert (status, scans) == ("delivered", 4)
    assert detail["route"] == ["上海市", "北京市,朝阳区"]


async def test_badly_signed_kuaidi100_push_is_refused_and_changes_nothing(client, db, login, carriers):
    _, parcel, staff = await shipped_with(client, db, login, "kuaidi100", KUAIDI100_TRACKING_NUMBER)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    bad = kuaidi100_form(KUAIDI100_DELIVERED, salt="wrong-salt")
    answer = await client.post("/webhooks/kuaidi100", content=bad, headers=form)
    assert answer.status_code == 401
    await client.app.state.relay.drain()
    assert (await parcel_state(client, parcel["id"], staff))[:2] == ("pending", 0)


async def test_signed_push_for_an_unknown_parcel_is_acknowledged_and_stores_nothing(client, db, carriers):
    answer = await client.post(
        "/webhooks/aftership", content=AFTERSHIP_SAMPLE, headers=aftership_headers(AFTERSHIP_SAMPLE)
    )
    assert answer.status_code == 200
    await client.app.state.relay.drain()  # processing finds no parcel and stores no scan
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(TrackingEventRow)) == 0


async def test_signed_but_unreadable_push_is_a_400(client, db, carriers):
    body = b'{"msg": {"checkpoints": []}}'
    answer = await client.post("/webhooks/aftership", content=body, headers=aftership_headers(body))
    assert answer.status_code == 400


def signed_push(carrier):
    if carrier == "aftership":
        return "/webhooks/aftership", AFTERSHIP_SAMPLE, aftership_headers(AFTERSHIP_SAMPLE)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return "/webhooks/kuaidi100", kuaidi100_form(KUAIDI100_DELIVERED), form


@pytest.mark.parametrize(
    ("carrier", "tracking_number"),
    [("aftership", AFTERSHIP_TRACKING_NUMBER), ("kuaidi100", KUAIDI100_TRACKING_NUMBER)],
)
async def test_s_wh_8_a_carrier_push_redelivered_3_days_and_1_hour_later_is_a_duplicate(
    client, db, login, carriers, carrier, tracking_number
):
    frozen = clock.FrozenClock()
    clock.set_clock(frozen)
    number, parcel, staff = await shipped_with(client, db, login, carrier, tracking_number)
    url, body, headers = signed_push(carrier)
    assert (await client.post(url, content=body, headers=headers)).status_code == 200
    assert await client.app.state.relay.drain() > 0
    before = await parcel_state(client, parcel["id"], staff), await timeline(client, number, staff)
    frozen.advance(days=3, hours=1)
    assert await forget_old_webhooks(db) == 0  # the hourly purge keeps it: inside the retention
    assert (await client.post(url, content=body, headers=headers)).status_code == 200
    assert await client.app.state.relay.drain() == 0  # recognised: nothing queued
    after = await parcel_state(client, parcel["id"], staff), await timeline(client, number, staff)
    assert after == before
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(PushReceipt)) == 1
