"""Bulk shipping (批量發貨) in a real browser, on a desktop and on a phone: tick two confirmed
orders, type their tracking numbers as a scanner would (Enter moves on), ship, and see the
parcels on the order page."""

from __future__ import annotations

import httpx
import pytest

from factories.shop import make_sku, order_body

pytestmark = pytest.mark.browser


async def place_confirmed(base: str, headers: dict, sku: str) -> str:
    async with httpx.AsyncClient(base_url=base) as shop:
        answer = await shop.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
    assert answer.status_code == 201 and answer.json()["status"] == "confirmed", answer.text
    return answer.json()["number"]


async def log_in(page, base: str) -> None:
    await page.goto(f"{base}/console/orders?tab=confirmed")
    await page.fill("input[name=email]", "owner@shop.test")
    await page.fill("input[name=password]", "correct horse")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/console/orders?tab=confirmed")


async def test_bulk_ship_two_orders_with_typed_tracking_numbers(db, login, live_console, browser, viewport):
    base, _app = live_console
    api = await login("owner")
    numbers = [await place_confirmed(base, api, await make_sku(db, stock=10)) for _ in range(2)]
    page = await browser.new_page(viewport=viewport, locale="zh-TW")
    await log_in(page, base)
    await page.goto(f"{base}/console/orders/{numbers[0]}")
    assert await page.locator("[data-testid=ship-form]").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    await page.goto(f"{base}/console/orders?tab=confirmed")

    for number in numbers:
        await page.locator(f'#order-rows tr[data-number="{number}"] input[name=number]').check()
    await page.locator("[data-testid=bulk-ship]").click()
    await page.wait_for_url(f"{base}/console/shipping/bulk?*")
    await page.locator("select[name=carrier]").select_option("kuaidi100")
    fields = page.locator("input[data-scan]")
    assert await fields.count() == 2
    in_rows = await page.locator("tr[data-number]").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert sorted(in_rows) == sorted(numbers)
    await fields.nth(0).click()
    await page.keyboard.type("TW5550000001")
    await page.keyboard.press("Enter")  # a scanner's Enter: on to the next order, not submit
    assert await fields.nth(1).evaluate("el => el === document.activeElement")
    await page.keyboard.type("TW5550000002")
    await page.keyboard.press("Enter")
    submit = page.locator("[data-testid=bulk-ship-submit]")
    assert await submit.evaluate("el => el === document.activeElement")
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    await submit.click()

    summary = page.locator("[data-testid=bulk-ship-summary]")
    assert "已發貨：2 筆，未發貨：0 筆" in await summary.inner_text()
    assert await page.locator("[data-testid=print-all]").count() == 1
    second_row = in_rows[1]  # the one given TW5550000002
    await page.get_by_role("link", name=second_row).click()
    await page.wait_for_url(f"{base}/console/orders/{second_row}")
    parcel = page.locator("[data-testid=parcel]")
    assert await parcel.count() == 1
    assert "TW5550000002" in await parcel.inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    await page.close()
