"""Shipping from the console: parcels on the order page, ship and cancel, bulk shipping
(批量發貨) with typed tracking numbers, the shipping page's exception queue (物流異常) and
the dashboard's tile."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dingdan.platform import clock
from dingdan.workflows.carriers import use_carriers
from dingdan.workflows.parcel_jobs import flag_stuck_parcels
from factories.shipping import known_carriers, place_confirmed_order
from factories.shop import make_sku, order_body, stock_of

TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture(autouse=True)
def carriers():
    use_carriers(known_carriers())
    yield
    use_carriers(None)


async def confirmed(client, db, login, units: int = 1) -> tuple[str, str]:
    sku = await make_sku(db, stock=10)
    return await place_confirmed_order(client, await login("clerk"), (sku, units)), sku


async def parcels_of(client, login, number: str) -> list[dict]:
    answer = await client.get(f"/api/v1/orders/{number}/shipments", headers=await login("owner"))
    return answer.json()["shipments"]


async def test_ship_an_order_in_two_parcels_cancel_one_and_print(client, db, login, console):
    number, sku = await confirmed(client, db, login, units=3)
    page = await console("warehouse")
    html = (await page.get(f"/console/orders/{number}")).text
    assert "尚無包裹" in html and 'data-testid="ship-form"' in html and "超商取貨" in html

    first = await page.post(
        f"/console/orders/{number}/ship",
        data={
            "csrf_token": page.csrf,
            "carrier": "sim",
            "sku": [sku],
            "quantity": ["1"],
            "tracking_number": "",
        },
    )
    assert first.status_code == 303 and "done=parcel-shipped" in first.headers["location"]
    second = await page.post(
        f"/console/orders/{number}/ship",
        data={
            "csrf_token": page.csrf,
            "carrier": "kuaidi100",
            "sku": [sku],
            "quantity": ["2"],
            "tracking_number": " sf1234567890 ",
            "service": "store_pickup",
            "pickup_store": "7-ELEVEN 前金門市",
        },
    )
    assert "done=parcel-shipped" in second.headers["location"]
    assert await stock_of(db, sku) == (7, 0, 7)

    html = (await page.get(f"/console/orders/{number}")).text
    assert html.count('data-testid="parcel"') == 2 and "SF1234567890" in html
    assert "7-ELEVEN 前金門市" in html and "模擬物流" in html and "快递100" in html
    assert 'data-testid="ship-form"' not in html  # nothing left to ship

    sim_parcel = next(p for p in await parcels_of(client, login, number) if p["carrier"] == "sim")
    cancelled = await page.post(
        f"/console/orders/{number}/parcels/{sim_parcel['id']}/cancel",
        data={"csrf_token": page.csrf, "reason": "包錯顏色"},
    )
    assert "done=parcel-cancelled" in cancelled.headers["location"]
    assert await stock_of(db, sku) == (8, 1, 7)
    html = (await page.get(f"/console/orders/{number}")).text
    assert 'data-parcel-status="cancelled"' in html and 'data-testid="ship-form"' in html

    pdf = await page.get(f"/console/shipping/notes.pdf?order={number}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_bad_ship_forms_are_refused_and_change_nothing(client, db, login, console):
    number, sku = await confirmed(client, db, login, units=2)
    page = await console("owner")
    cases = [
        ({"carrier": "kuaidi100", "tracking_number": ""}, "tracking-number-required"),
        ({"carrier": "kuaidi100", "tracking_number": "有 空白!"}, "tracking-number-invalid"),
        ({"carrier": "sim", "sku": [sku], "quantity": ["0"]}, "quantity-invalid"),
        ({"carrier": "sim", "sku": [sku], "quantity": ["5"]}, "invalid-input"),
        ({"carrier": "sim", "service": "store_pickup"}, "invalid-input"),
        ({"carrier": "nobody"}, "unknown-carrier"),
    ]
    for form, code in cases:
        answer = await page.post(f"/console/orders/{number}/ship", data={"csrf_token": page.csrf, **form})
        assert answer.status_code == 303 and f"error={code}" in answer.headers["location"], form
    assert await parcels_of(client, login, number) == []
    assert await stock_of(db, sku) == (10, 2, 8)


async def test_roles_without_shipping_and_forms_without_csrf_are_refused(client, db, login, console):
    number, _sku = await confirmed(client, db, login)
    support = await console("support")
    assert 'data-testid="ship-form"' not in (await support.get(f"/console/orders/{number}")).text
    for path in (
        "/console/shipping",
        "/console/shipping/bulk?number=" + number,
        f"/console/shipping/notes.pdf?order={number}",
        "/console/shipping/cases/1",
    ):
        assert (await support.get(path)).status_code == 403, path
    shipped = await support.post(
        f"/console/orders/{number}/ship", data={"csrf_token": support.csrf, "carrier": "sim"}
    )
    bulk = await support.post(
        "/console/shipping/bulk",
        data={"csrf_token": support.csrf, "carrier": "sim", "number": [number], "tracking_number": [""]},
    )
    via_list = await support.post(
        "/console/orders/bulk", data={"csrf_token": support.csrf, "action": "ship", "number": [number]}
    )
    assert (shipped.status_code, bulk.status_code, via_list.status_code) == (403, 403, 403)

    owner = await console("owner")
    no_token = await owner.post(f"/console/orders/{number}/ship", data={"carrier": "sim"})
    wrong_token = await owner.post(
        "/console/shipping/bulk",
        data={"csrf_token": "forged", "carrier": "sim", "number": [number], "tracking_number": [""]},
    )
    assert (no_token.status_code, wrong_token.status_code) == (403, 403)
    assert await parcels_of(client, login, number) == []


async def test_bulk_ship_reports_a_bad_tracking_number_and_ships_the_rest(client, db, login, console):
    numbers = [(await confirmed(client, db, login))[0] for _ in range(3)]
    pending = (
        await client.post(
            "/api/v1/orders",
            json={**order_body((await make_sku(db), 1)), "channel": "manual"},
            headers=await login("clerk"),
        )
    ).json()["number"]
    page = await console("clerk")
    picked = await page.post(
        "/console/orders/bulk",
        data={"csrf_token": page.csrf, "action": "ship", "number": [*numbers, pending]},
    )
    assert picked.status_code == 303 and picked.headers["location"].startswith("/console/shipping/bulk?")
    form = (await page.get(picked.headers["location"])).text
    assert form.count("data-scan") == 3 and 'data-testid="bulk-skipped"' in form and pending in form

    typed = ["TW1000000001", "not a number!", "tw1000000003"]
    result = await page.post(
        "/console/shipping/bulk",
        data={"csrf_token": page.csrf, "carrier": "kuaidi100", "number": numbers, "tracking_number": typed},
    )
    assert result.status_code == 200
    assert "已發貨：2 筆，未發貨：1 筆" in result.text
    assert re.search(rf'data-number="{numbers[1]}" data-result="refused"', result.text)
    assert "物流單號格式不正確" in result.text
    shipped = [(await parcels_of(client, login, n)) for n in numbers]
    assert [[p["tracking_number"] for p in ps] for ps in shipped] == [["TW1000000001"], [], ["TW1000000003"]]

    print_url = re.search(r'href="(/console/shipping/notes\.pdf\?[^"]+)"', result.text).group(1)
    assert numbers[1] not in print_url
    pdf = await page.get(print_url.replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    again = await page.post(
        "/console/shipping/bulk",
        data={
            "csrf_token": page.csrf,
            "carrier": "kuaidi100",
            "number": [numbers[0]],
            "tracking_number": ["TW1000000003"],
        },
    )
    assert "未發貨：1 筆" in again.text  # already shipped, and the number is taken


async def test_stuck_parcel_reaches_the_dashboard_queue_and_is_worked_to_resolution(
    client, db, login, console
):
    fixed = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(fixed)
    number, _sku = await confirmed(client, db, login)
    page = await console("owner")
    await page.post(f"/console/orders/{number}/ship", data={"csrf_token": page.csrf, "carrier": "sim"})
    tile = (await page.get("/console/")).text
    assert re.search(r'data-testid="parcel-problems".*?<strong>0</strong>', tile, re.S)
    fixed.advance(hours=25)
    assert await flag_stuck_parcels(db) == 1

    tile = (await page.get("/console/")).text
    assert re.search(
        r'href="/console/shipping" data-testid="parcel-problems">.*?<strong>2</strong>', tile, re.S
    )
    assert "1 件待處理，1 件停滯" in tile
    desk = (await page.get("/console/shipping")).text
    assert "物流商未取件" in desk and number in desk
    assert re.search(r'data-testid="tile-stuck"[^>]*>.*?<strong>1</strong>', desk, re.S)
    case_id = re.search(r'data-case="(\d+)"', desk).group(1)

    case_page = (await page.get(f"/console/shipping/cases/{case_id}")).text
    assert "對顧客的說明" in case_page and "透過售後服務退款或補償" in case_page
    worked = await page.post(
        f"/console/shipping/cases/{case_id}",
        data={
            "csrf_token": page.csrf,
            "action": "contact_carrier",
            "action_note": "已致電營業所",
            "status": "in_progress",
            "owner": "owner@shop.test",
            "customer_message": "",
            "resolution": "",
        },
    )
    assert worked.headers["location"].endswith("done=case-saved")
    refused = await page.post(
        f"/console/shipping/cases/{case_id}", data={"csrf_token": page.csrf, "status": "resolved"}
    )
    assert "error=exception-case-change-refused" in refused.headers["location"]
    await page.post(
        f"/console/shipping/cases/{case_id}",
        data={"csrf_token": page.csrf, "status": "resolved", "resolution": "物流商已取件", "action": "note"},
    )
    case_page = (await page.get(f"/console/shipping/cases/{case_id}")).text
    assert "已結案" in case_page and "已聯繫物流商" in case_page and "已致電營業所" in case_page
    assert "物流商已取件" in case_page and "更新異常案件" in case_page
    english = (await page.get(f"/console/shipping/cases/{case_id}?lang=en")).text
    assert "Contacted the carrier" in english and "Not picked up by the carrier" in english
    assert "1 open cases" not in (await page.get("/console/")).text
