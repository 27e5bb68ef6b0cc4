"""The public /track page: server-rendered, zh-Hant first, English on request."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dingdan.platform import clock
from factories.shipping import place_confirmed_order, push_sim, ship, sim_of
from factories.shop import make_sku

TAIPEI = ZoneInfo("Asia/Taipei")
PRIVATE = ("王小明", "0912345678", "復興南路")


async def moving_parcel(client, db, login, carriers):
    fixed = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(fixed)
    sku = await make_sku(db)
    number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
    parcel = await ship(client, number, await login("warehouse"))
    fixed.advance(hours=12)
    await push_sim(client, sim_of(carriers), parcel["tracking_number"])
    return number, parcel


async def test_the_page_shows_the_route_in_traditional_chinese_and_english(client, db, login, carriers):
    number, parcel = await moving_parcel(client, db, login, carriers)
    page = await client.get(f"/track?tracking_number={parcel['tracking_number']}")
    assert page.status_code == 200
    assert "物流查詢" in page.text and "模擬物流" in page.text and "運送中" in page.text
    assert "王＊明" in page.text and "臺北市大安區" in page.text
    assert all(word not in page.text for word in PRIVATE)
    english = await client.get(f"/track?order_number={number}&phone_last4=5678&lang=en")
    assert english.status_code == 200
    assert "Track a parcel" in english.text and "In transit" in english.text and "Route" in english.text


async def test_a_miss_looks_the_same_whatever_was_wrong(client, db, login, carriers):
    number, _ = await moving_parcel(client, db, login, carriers)
    wrong = await client.get(f"/track?order_number={number}&phone_last4=0000")
    unknown = await client.get("/track?order_number=260101-ABCDEFGH&phone_last4=5678")
    assert wrong.status_code == unknown.status_code == 404
    assert "查無符合的包裹" in wrong.text
    assert wrong.text.replace(number, "X") == unknown.text.replace("260101-ABCDEFGH", "X")


@pytest.mark.browser
async def test_the_page_works_on_a_phone_and_a_desktop(live_server, browser, viewport, client, db, login, carriers):
    _, parcel = await moving_parcel(client, db, login, carriers)
    page = await browser.new_page(viewport=viewport, locale="zh-TW")
    await page.goto(f"{live_server}/track")
    await page.fill("[data-testid=by-tracking-number] input[name=tracking_number]", parcel["tracking_number"])
    await page.click("[data-testid=by-tracking-number] button")
    await page.wait_for_selector("[data-testid=parcel]")
    assert await page.locator("[data-testid=parcel-status]").inner_text() == "運送中"
    assert await page.locator(".timeline li").count() >= 3
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    await page.close()
