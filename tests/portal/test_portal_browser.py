"""The customer portal in a real browser, on a phone (390 px) and a desktop (1280 px)."""

from __future__ import annotations

import itertools

import pytest

from dingdan.main import build_all_subscribers
from dingdan.platform import events
from factories.shop import make_sku

pytestmark = pytest.mark.browser
_accounts = itertools.count(1)


async def fits(page, viewport):
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


async def test_register_order_pay_and_change_the_address(live_server, browser, viewport, db):
    sku = await make_sku(db, stock=5, price="450", attributes={"顏色": "黑", "尺寸": "M"})
    page = await browser.new_page(viewport=viewport, locale="zh-TW")
    await page.goto(f"{live_server}/account/register")
    await page.fill("input[name=name]", "林小美")
    await page.fill("input[name=username]", f"mei{next(_accounts)}@example.com")
    await page.fill("input[name=password]", "sesame-street")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{live_server}/account/orders")
    assert await page.locator("[data-testid=no-orders]").is_visible()
    await fits(page, viewport)

    await page.goto(f"{live_server}/account/orders/new")
    await page.select_option("select[name=sku]", sku)
    await page.fill("input[name=quantity]", "2")
    for name, value in {
        "recipient": "林小美",
        "phone": "0922333444",
        "city": "臺北市",
        "district": "大安區",
        "postal_code": "106",
        "line1": "忠孝東路四段 1 號",
    }.items():
        await page.fill(f"input[name={name}]", value)
    await page.click("[data-testid=place-order]")
    await page.wait_for_url(f"{live_server}/account/orders/*-*")
    number = await page.locator("[data-testid=order-number]").inner_text()
    assert await page.locator("h1 [data-testid=status]").inner_text() == "待付款"
    line = await page.locator("[data-testid=line]").first.inner_text()
    assert "顏色：黑" in line and "尺寸：M" in line
    assert await page.locator("[data-testid=total]").inner_text() == "$980"
    await fits(page, viewport)

    await page.goto(f"{live_server}/account/orders")
    assert await page.locator("[data-tab=pending_payment] .count").inner_text() == "1"

    await page.goto(f"{live_server}/account/orders/{number}")
    await page.click("[data-testid=pay]")
    await page.wait_for_url(f"{live_server}/payments/sandbox/*")
    await fits(page, viewport)
    await page.click("button[value=succeed]")
    await page.wait_for_url(f"{live_server}/account/orders/{number}")
    # The provider's webhook is answered at once and applied just after: until then the page
    # says the payment is being confirmed, offers no second payment, and reloads itself.
    assert await page.locator("[data-testid=confirming-payment]").is_visible()
    assert await page.locator("[data-testid=pay]").count() == 0
    await events.Relay(db, build_all_subscribers()).drain()
    await page.locator("h1 [data-testid=status]", has_text="已確認").wait_for(timeout=10_000)
    assert await page.locator("[data-testid=confirming-payment]").count() == 0
    assert await page.locator("[data-testid=payment-status]").inner_text() == "已付款"

    await page.goto(f"{live_server}/account/orders")
    assert await page.locator("[data-tab=pending_payment] .count").inner_text() == "0"
    assert await page.locator("[data-tab=to_ship] .count").inner_text() == "1"
    await page.click("[data-tab=to_ship]")
    await page.wait_for_url(f"{live_server}/account/orders?tab=to_ship")
    assert await page.locator("[data-testid=order-row]").get_attribute("data-number") == number
    await fits(page, viewport)

    await page.click("[data-testid=order-row] a")
    await page.click("[data-testid=change-address]")
    await page.fill("input[name=city]", "新北市")
    await page.fill("input[name=district]", "板橋區")
    await page.fill("input[name=postal_code]", "220")
    await page.fill("input[name=line1]", "文化路一段 188 號")
    await page.click("text=儲存地址")
    await page.wait_for_url(f"{live_server}/account/orders/{number}")
    address = await page.locator("[data-testid=address]").inner_text()
    assert "新北市板橋區文化路一段 188 號" in address
    await fits(page, viewport)
    await page.close()
