"""Console report pages: the table under each chart shows the API's numbers; roles; exports;
in a real browser at desktop and phone widths the charts are drawn."""

from __future__ import annotations

import csv
import io
import re

import pytest

from factories.reports import make_products, place_history

REPORTS = ["sales", "orders", "regions", "products", "fulfilment"]
RANGE = "from=2025-02-25&to=2025-04-15"


async def console_session(client, login, role: str) -> None:
    await login(role)
    page = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    data = {
        "email": f"{role}@shop.test",
        "password": "correct horse",
        "csrf_token": token,
        "next": "/console/",
    }
    assert (await client.post("/console/login", data=data)).status_code == 303


async def test_clerk_is_turned_away_and_analyst_sees_every_report(client, login):
    await console_session(client, login, "clerk")
    assert (await client.get("/console/reports/sales")).status_code == 403
    client.cookies.clear()
    await console_session(client, login, "analyst")
    for name in REPORTS:
        page = await client.get(f"/console/reports/{name}?{RANGE}")
        assert page.status_code == 200, (name, page.text[:500])
        assert 'id="report-chart"' in page.text and "<table>" in page.text


async def test_sales_page_table_shows_the_report_numbers_and_downloads_them(client, db, login, analyst):
    await make_products(db)
    await place_history(db, orders_count=8)
    await client.app.state.relay.drain()
    api = (await client.get(f"/api/v1/reports/sales?{RANGE}&lang=zh_Hant", headers=analyst)).json()
    await console_session(client, login, "owner")
    page = await client.get(f"/console/reports/sales?{RANGE}&lang=zh_Hant")
    assert f'data-testid="total-orders">{api["totals"]["orders"]}<' in page.text
    assert "淨銷售額" in page.text
    download = await client.get(f"/console/reports/sales?{RANGE}&format=csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert sum(int(r["orders"]) for r in rows) == api["totals"]["orders"]


async def test_a_bad_date_on_a_page_is_named_not_a_crash(client, login):
    await console_session(client, login, "analyst")
    page = await client.get("/console/reports/sales?from=2025-05-02&to=2025-05-01")
    assert page.status_code == 422
    assert 'data-field="to"' in page.text


@pytest.mark.browser
async def test_report_pages_draw_non_empty_charts(live_server, browser, viewport, history, login, tmp_path):
    await login("analyst")
    page = await browser.new_page(viewport=viewport, locale="zh-TW")
    await page.goto(f"{live_server}/console/login")
    await page.fill("input[name=email]", "analyst@shop.test")
    await page.fill("input[name=password]", "correct horse")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{live_server}/console/")
    for name in REPORTS:
        await page.goto(f"{live_server}/console/reports/{name}?{RANGE}")
        await page.wait_for_selector("#report-chart[data-drawn=true]")
        painted = await page.evaluate(
            """() => {
                const canvas = document.getElementById('report-chart');
                const chart = canvas.chart;
                const points = chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null && v !== undefined).length, 0);
                const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let inked = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
                return {points, inked, width: canvas.clientWidth, height: canvas.clientHeight};
            }"""
        )
        assert painted["points"] > 0, name
        assert painted["inked"] > 500, name
        assert 0 < painted["width"] <= viewport["width"]
        assert await page.locator("table tbody tr").count() > 0, name
        shot = tmp_path / f"report-{name}-{viewport['width']}.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    await page.close()
