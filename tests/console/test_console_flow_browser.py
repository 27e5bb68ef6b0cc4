"""A merchant's day in a real browser, on a desktop and on a phone: log in, see an order placed
over the API appear live, open it, fix its review issue, confirm it and export it."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from factories.shop import make_sku, order_body

pytestmark = pytest.mark.browser


async def log_in(page, base: str) -> None:
    await page.goto(f"{base}/console/orders")
    await page.fill("input[name=email]", "owner@shop.test")
    await page.fill("input[name=password]", "correct horse")
    async with page.expect_response(lambda r: "/console/events" in r.url):
        await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/console/orders")


async def place_with_wrong_postal_code(base: str, headers: dict, sku: str) -> str:
    body = order_body((sku, 1), channel="manual")
    body["shipping_address"].update(district="信義區", postal_code="106")  # 106 is 大安區
    async with httpx.AsyncClient(base_url=base) as shop:
        answer = await shop.post("/api/v1/orders", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


async def test_live_order_review_confirm_and_export(db, login, live_console, browser, viewport):
    base, _app = live_console
    api = await login("owner")
    sku = await make_sku(db, stock=10, price="390")
    page = await browser.new_page(viewport=viewport, locale="zh-TW", accept_downloads=True)
    await log_in(page, base)

    number = await place_with_wrong_postal_code(base, api, sku)
    row = page.locator(f'#order-rows tr[data-number="{number}"]')
    await row.wait_for(timeout=2000)  # arrived over server-sent events, no reload
    assert "待審核" in await row.inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    await row.get_by_role("link", name=number).click()
    await page.wait_for_url(f"{base}/console/orders/{number}")
    assert "郵遞區號與鄉鎮市區不符" in await page.locator(".issues").inner_text()

    await page.get_by_role("link", name="到待審核清單修正").click()
    card = page.locator(f"#order-{number}")
    await card.locator("select[name=district]").select_option("信義區")
    assert await card.locator("input[name=postal_code]").input_value() == "110"
    await card.locator("[data-testid=save-confirm]").click()
    await page.wait_for_url(f"{base}/console/review?done=confirmed")
    assert "訂單已確認" in await page.locator(".notice").first.inner_text()

    await page.goto(f"{base}/console/orders")
    await page.locator(f'#order-rows tr[data-number="{number}"] input[name=number]').check()
    async with page.expect_download() as download_info:
        await page.locator("[data-testid=export-csv]").click()
    download = await download_info.value
    with open(await download.path(), encoding="utf-8-sig") as exported:
        rows = list(csv.DictReader(io.StringIO(exported.read())))
    assert [(r["number"], r["status"], r["postal_code"]) for r in rows] == [(number, "confirmed", "110")]
    await page.close()
