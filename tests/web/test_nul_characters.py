"""PostgreSQL cannot store a NUL character in text (SQLite can): a request carrying one gets a
422 problem saying so, in the caller's language, and changes nothing. Found by the contract
fuzzer on PostgreSQL (a NUL in the login form's username answered 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dingdan.orders.service import ORDERS
from factories.shop import make_sku, order_body

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]


async def test_a_nul_in_a_login_form_is_a_422_not_a_500(client):
    answer = await client.post("/api/v1/auth/token", data={"username": "a\x00b@example.com", "password": "x"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "NUL" in answer.json()["detail"] and "Traceback" not in answer.text


async def test_a_nul_in_an_order_note_places_nothing_and_is_worded_in_the_callers_language(client, db, login):
    sku = await make_sku(db, stock=5)
    body = order_body((sku, 1), note="請\x00放門口")
    answer = await client.post("/api/v1/orders?lang=zh-Hant", json=body, headers=await login("owner"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == "文字不可包含 NUL 字元 (\\u0000)"
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(ORDERS)) == 0
