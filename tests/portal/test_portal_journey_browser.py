"""A demo customer's whole journey in a real browser, on a desktop (1280 px) and a phone (390 px):
my orders by tab, an order shipped with the simulated carrier and followed scan by scan to the
doorstep, receipt confirmed, a review with a photo, a return request, and the public tracking
page. Staff and carrier steps go through the app's own API and the simulated carrier's pushes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from dingdan.main import build_all_subscribers
from dingdan.platform import clock, events
from dingdan.platform.clock import FrozenClock
from dingdan.platform.db import Database
from dingdan.shipping.adapters.sim import SimCarrier
from dingdan.workflows.carriers import use_carriers
from dingdan.workflows.load_demo import DEMO_CUSTOMER, DEMO_PASSWORD, load_demo
from factories.shipping import known_carriers, ship, sim_of

pytestmark = pytest.mark.browser
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> FrozenClock:
    frozen_clock = FrozenClock(START)
    clock.set_clock(frozen_clock)
    return frozen_clock


@pytest.fixture
def sim() -> Iterator[SimCarrier]:
    registry = known_carriers()
    use_carriers(registry)
    yield sim_of(registry)
    use_carriers(None)


def small_png(path: Any) -> Any:
    image = Image.new("RGB", (48, 32), (200, 80, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


async def fits(page: Any, viewport: dict[str, int]) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


async def deliver(
    api: httpx.AsyncClient, db: Database, sim: SimCarrier, frozen: FrozenClock, number: str, staff: Any
) -> str:
    """The warehouse ships with the simulated carrier, which pushes each scan when it happens;
    each push is answered at once and applied by the relay just after."""
    parcel = await ship(api, number, staff)
    tracking_number = parcel["tracking_number"]
    relay = events.Relay(db, build_all_subscribers())
    for scan in sim.planned_journey(tracking_number):
        if scan.occurred_at > frozen():
            frozen.advance(seconds=(scan.occurred_at - frozen()).total_seconds())
        push = sim.build_push(tracking_number)
        assert (await api.post("/webhooks/sim", content=push.body, headers=push.headers)).status_code == 200
        await relay.drain()
    return tracking_number


async def sign_in(page: Any, base: str) -> None:
    await page.goto(f"{base}/account/login")
    await page.fill("input[name=username]", DEMO_CUSTOMER)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/account/orders")


async def open_an_order_to_ship(page: Any, base: str, viewport: dict[str, int]) -> str:
    await page.click("[data-tab=to_ship]")
    await page.wait_for_url(f"{base}/account/orders?tab=to_ship")
    confirmed = page.locator("[data-testid=status]", has_text="已確認")
    row = page.locator("[data-testid=order-row]", has=confirmed).first
    number = await row.get_attribute("data-number")
    await fits(page, viewport)
    await row.locator("a").first.click()
    await page.wait_for_url(f"{base}/account/orders/{number}")
    assert await page.locator("[data-testid=parcel]").count() == 0
    return str(number)


async def follow_and_confirm(page: Any, scans: int, viewport: dict[str, int]) -> None:
    await page.reload()
    assert await page.locator("h1 [data-testid=status]").inner_text() == "已送達"
    parcel = page.locator("[data-testid=parcel]")
    assert await parcel.locator("[data-testid=parcel-status]").inner_text() == "已送達"
    timeline = parcel.locator("[data-testid=scan]")
    assert await timeline.count() == scans and await timeline.last.is_visible()
    await fits(page, viewport)
    await page.click("[data-testid=confirm-receipt]")
    await page.wait_for_load_state()
    assert await page.locator("h1 [data-testid=status]").inner_text() == "已完成"


async def review_with_photo(page: Any, photo: Any) -> None:
    form = page.locator("[data-testid=review-form]").first
    await form.locator("select[name=stars]").select_option("4")
    await form.locator("textarea[name=text]").fill("保溫效果很好")
    await form.locator("input[name=photo]").set_input_files(str(photo))
    await form.locator("[data-testid=send-review]").click()
    await page.wait_for_load_state()
    review = page.locator("[data-testid=review]").first
    assert "★★★★☆" in await review.inner_text() and "保溫效果很好" in await review.inner_text()
    shown = review.locator("[data-testid=review-photo]")
    assert await shown.evaluate("img => img.complete && img.naturalWidth") == 48


async def request_a_return(page: Any) -> None:
    await page.click("[data-testid=request-return]")
    await page.fill("[data-testid=return-reason]", "顏色與圖片不同")
    await page.click("[data-testid=send-return]")
    await page.wait_for_load_state()
    request = page.locator("[data-testid=aftersales-request]")
    assert await request.locator("[data-testid=request-status]").inner_text() == "待審核"
    assert "顏色與圖片不同" in await request.inner_text()


async def track_publicly(page: Any, base: str, tracking_number: str, scans: int) -> None:
    await page.goto(f"{base}/track")
    await page.fill("input[name=tracking_number]", tracking_number)
    await page.locator("[data-testid=by-tracking-number] button").click()
    await page.wait_for_url(f"{base}/track?tracking_number={tracking_number}")
    parcel = page.locator("[data-testid=parcel]")
    assert tracking_number in await parcel.inner_text()
    assert await parcel.locator(".timeline li").count() == scans
    assert DEMO_CUSTOMER not in await page.content()


async def test_a_demo_customer_from_my_orders_to_a_return_and_public_tracking(
    live_server, browser, viewport, db, login, frozen, sim, tmp_path
):
    await load_demo(db, orders=12)
    page = await browser.new_page(viewport=viewport, locale="zh-TW")
    await sign_in(page, live_server)
    await fits(page, viewport)
    number = await open_an_order_to_ship(page, live_server, viewport)
    assert await page.locator("h1 [data-testid=status]").inner_text() == "已確認"

    async with httpx.AsyncClient(base_url=live_server) as api:
        tracking_number = await deliver(api, db, sim, frozen, number, await login("warehouse"))
    scans = len(sim.planned_journey(tracking_number))

    await follow_and_confirm(page, scans, viewport)
    await review_with_photo(page, small_png(tmp_path / "cup.png"))
    await request_a_return(page)
    await fits(page, viewport)
    await track_publicly(page, live_server, tracking_number, scans)
    await fits(page, viewport)
    await page.close()
