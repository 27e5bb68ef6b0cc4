"""The console's channel and import pages over HTTP: roles, CSRF, keys shown once, a job page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from dingdan.orders.models import Order
from dingdan.workflows.import_jobs import wait_for_jobs
from factories.shop import make_sku
from intake.conftest import csv_file, order_rows


async def csrf_of(client, path: str) -> str:
    page = await client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def sign_in(client, login, role: str = "owner") -> str:
    await login(role)
    token = await csrf_of(client, "/console/login")
    answer = await client.post(
        "/console/login",
        data={"email": f"{role}@shop.test", "password": "correct horse", "csrf_token": token},
    )
    assert answer.status_code == 303
    return token


async def test_channels_page_creates_a_channel_and_shows_a_key_once(client, login):
    token = await sign_in(client, login)
    page = await client.get("/console/channels")
    assert page.status_code == 200 and "銷售通路" in page.text and "官方網站" in page.text
    created = await client.post(
        "/console/channels",
        data={"code": "shopee", "name": "蝦皮", "type": "marketplace", "csrf_token": token},
    )
    assert created.status_code == 303
    with_key = await client.post(
        "/console/channels/shopee/api-keys", data={"name": "ERP", "csrf_token": token}
    )
    key = re.search(r'data-testid="new-api-key">(ddk_[^<]+)<', with_key.text).group(1)
    assert with_key.headers["cache-control"] == "no-store"
    again = await client.get("/console/channels")
    assert key not in again.text and key[:12] in again.text
    assert "接單並待補貨" in again.text  # the marketplace default


async def test_forms_without_the_csrf_token_are_refused(client, login):
    await sign_in(client, login)
    answer = await client.post("/console/channels", data={"code": "x", "name": "x", "type": "website"})
    assert answer.status_code == 403


async def test_a_clerk_may_import_but_not_manage_channels(client, login):
    await sign_in(client, login, "clerk")
    assert (await client.get("/console/channels")).status_code == 403
    page = await client.get("/console/import")
    assert page.status_code == 200 and "下載範本（Excel .xlsx）" in page.text
    english = await client.get("/console/import?lang=en")
    assert "Template (Excel .xlsx)" in english.text
    template = await client.get("/console/import/template.xlsx")
    assert template.headers["content-type"].startswith("application/vnd.openxmlformats")


async def test_upload_preview_then_import_from_the_page(client, db, login):
    await make_sku(db, sku="PG-1", stock=10)
    token = await sign_in(client, login, "clerk")
    rows = order_rows("P1", ["PG-1"]) + order_rows("P2", ["PG-1"], payment_method="刷卡機")
    answer = await client.post(
        "/console/import",
        data={"channel": "manual", "dry_run": "on", "csrf_token": token},
        files={"file": ("orders.csv", csv_file(rows), "text/csv")},
    )
    assert answer.status_code == 303
    await wait_for_jobs()
    job_page = await client.get(answer.headers["location"])
    assert 'data-status="done"' in job_page.text
    assert "無法辨識的付款方式" in job_page.text and "付款方式" in job_page.text
    run = re.search(r'action="(/console/import/[^"]+/run)"', job_page.text).group(1)
    imported = await client.post(run, data={"csrf_token": token})
    assert imported.status_code == 303
    await wait_for_jobs()
    done = await client.get(imported.headers["location"])
    assert re.search(r'data-testid="import-count">1<', done.text)
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
