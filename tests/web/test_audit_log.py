"""The audit log: every staff write leaves who, what and from where, in the same transaction;
only the owner reads it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from dingdan.main import create_app
from dingdan.platform.audit import AuditEntry
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings
from factories.shop import make_sku, order_body, stock_of

OFFICE = ("203.0.113.7", 40100)
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)"


@pytest.fixture
async def office(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling from the office's address with a phone's browser."""
    transport = httpx.ASGITransport(app=create_app(get_settings(), db=db), client=OFFICE)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"User-Agent": PHONE}
    ) as http:
        yield http


async def audit_log(client: httpx.AsyncClient, owner: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/audit-log", params=params, headers=owner)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def entry_count(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_s_aud_1_a_stock_adjustment_names_who_made_it_and_from_where(client, office, db, login):
    sku = await make_sku(db, stock=5)
    warehouse, owner = await login("warehouse"), await login("owner")
    adjusted = await office.post(
        f"/api/v1/inventory/{sku}/adjustments", json={"delta": 7, "reason": "進貨"}, headers=warehouse
    )
    assert adjusted.status_code in (200, 201), adjusted.text
    [entry] = await audit_log(client, owner, object_type="sku", object_id=sku)
    assert entry["actor"] == "staff:warehouse@shop.test"
    assert entry["action"] == "inventory.adjusted"
    assert (entry["ip"], entry["user_agent"]) == (OFFICE[0], PHONE)
    assert entry["method"] == "POST" and entry["path"] == f"/api/v1/inventory/{sku}/adjustments"
    assert entry["changes"]["events"][0]["payload"]["delta"] == 7


async def test_a_product_change_shows_the_fields_before_and_after(client, office, db, login):
    sku = await make_sku(db)
    clerk, owner = await login("clerk"), await login("owner")
    product = (await client.get(f"/api/v1/products?q={sku}", headers=clerk)).json()["items"][0]
    renamed = await office.patch(f"/api/v1/products/{product['id']}", json={"name": "新名字"}, headers=clerk)
    assert renamed.status_code == 200, renamed.text
    [entry] = await audit_log(client, owner, actor="clerk@shop.test")
    assert entry["action"] == "catalog_product.updated"
    assert (entry["object_type"], entry["object_id"]) == ("catalog_product", str(product["id"]))
    assert entry["changes"]["rows"][0]["fields"]["name"] == [f"商品 {sku}", "新名字"]


async def test_s_aud_1_an_action_that_is_refused_writes_no_entry(client, office, db, login):
    sku = await make_sku(db, stock=2)
    warehouse = await login("warehouse")
    before = await entry_count(db)
    refused = await office.post(
        f"/api/v1/inventory/{sku}/adjustments", json={"delta": -5, "reason": "盤虧"}, headers=warehouse
    )
    assert 400 <= refused.status_code < 500
    assert await stock_of(db, sku) == (2, 0, 2)
    assert await entry_count(db) == before


async def test_logins_and_wrong_passwords_are_logged_with_the_address(client, office, db, login):
    owner = await login("owner")
    wrong = await office.post(
        "/api/v1/auth/token", data={"username": "owner@shop.test", "password": "not it at all"}
    )
    assert wrong.status_code == 401
    right = await office.post(
        "/api/v1/auth/token", data={"username": "owner@shop.test", "password": "correct horse"}
    )
    assert right.status_code == 200
    logins = await audit_log(client, owner, action="auth.login")
    failures = await audit_log(client, owner, action="auth.login_failed")
    assert [(e["actor"], e["ip"]) for e in logins] == [("staff:owner@shop.test", OFFICE[0])]
    assert [(e["actor"], e["object_id"], e["ip"]) for e in failures] == [
        ("anonymous", "owner@shop.test", OFFICE[0])
    ]


async def test_reading_and_customers_leave_no_entries(client, db, login, customer_headers):
    clerk = await login("clerk")
    await client.get("/api/v1/orders", headers=clerk)
    await client.get("/api/v1/me", headers=customer_headers)
    assert await entry_count(db) == 0


@pytest.mark.parametrize("role", ["clerk", "warehouse", "support", "analyst"])
async def test_s_aud_1_only_the_owner_reads_the_log(client, db, login, role):
    assert (await client.get("/api/v1/audit-log", headers=await login(role))).status_code == 403
    assert (await client.get("/api/v1/audit-log")).status_code == 401


async def test_filters_and_pages(client, db, login):
    sku = await make_sku(db, stock=50)
    warehouse, owner = await login("warehouse"), await login("owner")
    for delta in range(1, 6):
        await client.post(
            f"/api/v1/inventory/{sku}/adjustments", json={"delta": delta, "reason": "進貨"}, headers=warehouse
        )
    first = await client.get("/api/v1/audit-log?limit=3&action=inventory.adjusted", headers=owner)
    page = first.json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = await audit_log(client, owner, limit=3, action="inventory.adjusted", cursor=page["next_cursor"])
    deltas = [e["changes"]["events"][0]["payload"]["delta"] for e in page["items"] + rest]
    assert deltas == [5, 4, 3, 2, 1]
    assert await audit_log(client, owner, actor="clerk@shop.test") == []
    assert len(await audit_log(client, owner, **{"from": "2000-01-01", "to": "2999-12-31"})) == 5
    assert await audit_log(client, owner, **{"from": "2999-01-01"}) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=yesterday", "/from"), ("from=2026-11-30&to=2026-11-01", "/to"), ("cursor=nonsense", "/cursor")],
)
async def test_bad_filters_are_named(client, db, login, query, field):
    answer = await client.get(f"/api/v1/audit-log?{query}", headers=await login("owner"))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] == field


async def console_as(client: httpx.AsyncClient, email: str) -> None:
    await client.get("/console/login")
    signed_in = await client.post(
        "/console/login",
        data={"email": email, "password": "correct horse", "csrf_token": client.cookies["dd_csrf"]},
    )
    assert signed_in.status_code == 303


async def test_the_console_page_lists_entries_for_the_owner_only(client, office, db, login):
    sku = await make_sku(db, stock=3)
    await login("owner")
    await login("clerk")
    await office.post(
        f"/api/v1/inventory/{sku}/adjustments", json={"delta": 4, "reason": "進貨"}, headers=await login("owner")
    )
    await console_as(client, "clerk@shop.test")
    assert (await client.get("/console/audit")).status_code == 403
    await console_as(client, "owner@shop.test")
    page = await client.get("/console/audit?lang=en")
    assert page.status_code == 200
    assert "Stock adjusted" in page.text and OFFICE[0] in page.text
    assert f'href="/console/inventory/{sku}"' in page.text
    assert "稽核紀錄" in (await client.get("/console/audit?lang=zh_Hant")).text
    bad = await client.get("/console/audit?from=someday")
    assert bad.status_code == 422 and 'data-testid="audit-problem"' in bad.text


@pytest.mark.browser
async def test_the_owner_reads_the_log_on_a_desktop(live_server, browser, client, db, login):
    sku = await make_sku(db, stock=3)
    await login("owner")
    clerk = await login("clerk")
    product = (await client.get(f"/api/v1/products?q={sku}", headers=clerk)).json()["items"][0]
    await client.patch(f"/api/v1/products/{product['id']}", json={"name": "冬季外套"}, headers=clerk)
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-TW")
    await page.goto(f"{live_server}/console/login?next=/console/audit")
    await page.fill("input[name=email]", "owner@shop.test")
    await page.fill("input[name=password]", "correct horse")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{live_server}/console/audit")
    assert await page.locator("h1").inner_text() == "稽核紀錄"
    actors = await page.locator("[data-testid=audit-actor]").all_inner_texts()
    assert actors == ["owner@shop.test", "clerk@shop.test"]  # newest first: the owner's sign-in
    await page.locator("[data-testid=audit-row]").nth(1).locator("summary").click()
    assert "冬季外套" in await page.locator("[data-testid=audit-diff]").first.inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1280
    await page.close()


async def test_a_new_product_is_named_by_its_new_id(client, db, login):
    owner = await login("owner")
    body = {"name": "保溫瓶", "category": "test", "variants": [{"sku": "BOTTLE-1", "price": "390"}]}
    created = await client.post("/api/v1/products", json=body, headers=owner)
    assert created.status_code == 201, created.text
    [entry] = await audit_log(client, owner, action="catalog_product.created")
    assert entry["object_id"] == str(created.json()["id"])
    rows = {row["table"]: row for row in entry["changes"]["rows"]}
    assert rows["catalog_product"]["fields"]["name"] == "保溫瓶"
    assert rows["catalog_variant"]["fields"]["sku"] == "BOTTLE-1"


async def test_s_aud_1_orders_placed_together_are_each_logged_with_their_own_caller(client, office, db, login):
    """Orders arriving at once share one transaction (group commit); each staff member's order
    still gets its own entry with that member's address, and an API key's order none."""
    sku = await make_sku(db, stock=100)
    clerk, support, owner = await login("clerk"), await login("support"), await login("owner")
    key = (await client.post("/api/v1/channels/web/api-keys", json={}, headers=owner)).json()["key"]
    callers = [(office, clerk), (client, support), (client, {"Authorization": f"Bearer {key}"})] * 4
    answers = await asyncio.gather(
        *[
            http.post(
                "/api/v1/orders",
                json={**order_body((sku, 1)), "customer": {"name": "客", "phone": f"09120000{i:02d}", "email": ""}},
                headers=headers,
            )
            for i, (http, headers) in enumerate(callers)
        ]
    )
    assert [a.status_code for a in answers] == [201] * len(callers), [a.text for a in answers]
    placed = await audit_log(client, owner, action="order.placed", limit=100)
    by_number = {e["object_id"]: (e["actor"], e["ip"]) for e in placed}
    expected = {}
    for answer, (_http, headers) in zip(answers, callers, strict=True):
        if headers is clerk:
            expected[answer.json()["number"]] = ("staff:clerk@shop.test", OFFICE[0])
        elif headers is support:
            expected[answer.json()["number"]] = ("staff:support@shop.test", "127.0.0.1")
    assert by_number == expected
