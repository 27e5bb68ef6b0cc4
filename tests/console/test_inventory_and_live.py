"""Inventory pages, and live updates from the outbox to an open event stream."""

from __future__ import annotations

import asyncio
import json

import httpx

from dingdan.platform import activity
from factories.shop import make_sku, order_body, stock_of


async def test_inventory_lists_levels_and_highlights_low_stock(db, console):
    plenty = await make_sku(db, stock=50, threshold=5)
    scarce = await make_sku(db, stock=2, threshold=5)
    page = await console("analyst")
    html = (await page.get("/console/inventory")).text
    assert plenty in html and scarce in html
    assert f'class="is-low" data-sku="{scarce}"' in html and f'class="" data-sku="{plenty}"' in html
    only_low = (await page.get("/console/inventory?low=1")).text
    assert scarce in only_low and plenty not in only_low
    detail = (await page.get(f"/console/inventory/{scarce}")).text
    assert 'data-testid="adjust"' not in detail  # an analyst reads, does not adjust
    assert "期初" in detail and 'id="stock-chart"' in detail


async def test_adjustments_and_thresholds_with_a_reason(db, console):
    sku = await make_sku(db, stock=10, threshold=2)
    page = await console("warehouse")
    answer = await page.post(
        f"/console/inventory/{sku}/adjust",
        data={"csrf_token": page.csrf, "delta": "-3", "reason": "盤點短少", "warehouse": "main"},
    )
    assert "done=adjusted" in answer.headers["location"]
    assert await stock_of(db, sku) == (7, 0, 7)
    no_reason = await page.post(
        f"/console/inventory/{sku}/adjust", data={"csrf_token": page.csrf, "delta": "5", "reason": ""}
    )
    assert "error=reason-needed" in no_reason.headers["location"]
    too_much = await page.post(
        f"/console/inventory/{sku}/adjust", data={"csrf_token": page.csrf, "delta": "-100", "reason": "報廢"}
    )
    assert "error=insufficient-stock" in too_much.headers["location"]
    await page.post(f"/console/inventory/{sku}/threshold", data={"csrf_token": page.csrf, "threshold": "8"})
    html = (await page.get(f"/console/inventory/{sku}")).text
    assert "盤點短少" in html and "warehouse@shop.test" in html
    assert (await page.get("/console/inventory?low=1")).text.count(f'data-sku="{sku}"') == 1
    history = (await page.get(f"/console/inventory/{sku}/history.json")).json()
    assert (
        history["threshold"] == 8 and history["points"][-1]["on_hand"] == 7 and len(history["points"]) == 30
    )
    clerk = await console("clerk")
    refused = await clerk.post(
        f"/console/inventory/{sku}/adjust", data={"csrf_token": clerk.csrf, "delta": "5", "reason": "x"}
    )
    assert refused.status_code == 403
    forged = await page.post(f"/console/inventory/{sku}/adjust", data={"delta": "5", "reason": "x"})
    assert forged.status_code == 403
    assert await stock_of(db, sku) == (7, 0, 7)


async def read_events(response: httpx.Response, wanted: int) -> list[dict]:
    found = []
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            found.append(json.loads(line[5:]))
            if len(found) == wanted:
                return found
    return found


async def test_a_new_order_and_low_stock_reach_an_open_stream_within_a_second(db, login, live_console):
    base, _app = live_console
    api = await login("owner")
    sku = await make_sku(db, stock=6, threshold=5)
    async with httpx.AsyncClient(base_url=base, timeout=5) as browser:
        login_page = await browser.get("/console/login")
        token = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
        await browser.post(
            "/console/login",
            data={"email": "owner@shop.test", "password": "correct horse", "csrf_token": token},
        )
        async with browser.stream("GET", "/console/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async with httpx.AsyncClient(base_url=base) as shop:
                placed = await shop.post("/api/v1/orders", json=order_body((sku, 2)), headers=api)
            number = placed.json()["number"]
            events = await asyncio.wait_for(read_events(stream, 2), timeout=1.0)
            assert not activity.requests_waiting()  # an open stream holds back no background work
    topics = {e["topic"]: e for e in events}
    assert topics["order.placed"]["ref"] == number and topics["order.placed"]["text"] == f"新訂單 {number}"
    assert topics["inventory.low_stock"]["ref"] == sku and topics["inventory.low_stock"]["available"] == 4


async def test_the_event_stream_needs_a_login(client):
    answer = await client.get("/console/events")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
