"""The import page in a real browser, on a desktop and on a phone: upload, preview with the
bad rows, import, and the template links."""

from __future__ import annotations

import pytest

from factories.shop import make_sku
from intake.conftest import csv_file, order_rows

pytestmark = pytest.mark.browser


async def test_preview_and_import_a_file(live_server, browser, viewport, login, db, tmp_path):
    await login("clerk")
    await make_sku(db, sku="BR-1", stock=50)
    rows = [row for n in range(20) for row in order_rows(f"W{n:02d}", ["BR-1"])]
    rows[5]["quantity"] = "abc"
    path = tmp_path / "orders.csv"
    path.write_bytes(csv_file(rows))

    page = await browser.new_page(viewport=viewport, locale="zh-TW")
    await page.goto(f"{live_server}/console/import")
    await page.fill("input[name=email]", "clerk@shop.test")
    await page.fill("input[name=password]", "correct horse")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{live_server}/console/import")
    assert await page.locator("h1").inner_text() == "匯入訂單"
    assert (
        await page.get_by_role("link", name="下載範本（CSV）").get_attribute("href")
        == "/console/import/template.csv"
    )

    await page.select_option("select[name=channel]", "manual")
    await page.set_input_files("input[name=file]", str(path))
    await page.get_by_role("button", name="上傳").click()
    await page.wait_for_selector("[data-testid=import-job][data-status=done]", timeout=20_000)
    assert await page.locator("[data-testid=import-count]").inner_text() == "19"
    error_row = page.locator("[data-testid=error-table] tbody tr").first
    assert await error_row.locator("td").nth(0).inner_text() == "7"
    assert await error_row.locator("td").nth(1).inner_text() == "數量"
    assert await page.locator("[data-testid=preview-table] tbody tr").count() == 19
    assert await page.locator("[data-testid=preview-table] tbody tr td.num").first.inner_text() == "1"
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    await page.locator("[data-testid=import-now]").click()
    await page.wait_for_selector("[data-testid=import-job][data-status=done]", timeout=30_000)
    assert await page.locator("[data-testid=import-count]").inner_text() == "19"
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    await page.close()
