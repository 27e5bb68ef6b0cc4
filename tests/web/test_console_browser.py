"""The console in a real browser, on a desktop and on a phone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


async def test_log_in_and_see_the_dashboard(live_server, browser, viewport, login):
    await login("owner")
    page = await browser.new_page(viewport=viewport, locale="zh-TW")
    await page.goto(f"{live_server}/console/")
    await page.fill("input[name=email]", "owner@shop.test")
    await page.fill("input[name=password]", "correct horse")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{live_server}/console/")
    assert await page.locator("[data-testid=orders-today]").inner_text() == "0"
    assert await page.locator("h1").inner_text() == "總覽"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]  # nothing sticks out sideways on a phone
    await page.close()
