"""S-ERR-1 when the database is away: every answer is a 503 problem+json with Retry-After, not a
500 with a traceback; the log gets one warning line, and readiness says 503 too."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ops.tcpcut import CuttableProxy
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from dingdan.auth import service as auth
from dingdan.auth.rules import Role
from dingdan.main import create_app
from dingdan.platform.db import Database, is_unreachable
from dingdan.platform.settings import get_settings
from dingdan.tables import metadata
from factories.shop import order_body

POSTGRES_URL = os.environ.get("DINGDAN_TEST_POSTGRES_URL", "")
CLOSED_PORT_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/dingdan"
LEAKS = ("Traceback", "SELECT", "INSERT", "asyncpg", "sqlalchemy", ".py", "127.0.0.1")


async def serve(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(get_settings(), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert (body["type"], body["status"]) == ("/problems/service-unavailable", 503)
    assert body["title"] and body["detail"]
    assert [leak for leak in LEAKS if leak in response.text] == []


def outage_records(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[logging.LogRecord]]:
    warnings = [r.getMessage() for r in caplog.records if "database unreachable" in r.getMessage()]
    loud = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    return warnings, loud


async def during_outage(http: httpx.AsyncClient, token: str) -> list[httpx.Response]:
    bearer = {"Authorization": f"Bearer {token}"}
    return [
        await http.get("/api/v1/orders", headers=bearer),
        await http.get("/api/v1/orders/DD12345", headers=bearer),
        await http.post("/api/v1/orders", json=order_body(("SKU-X", 1)), headers=bearer),
        await http.get("/api/v1/orders/DD12345", headers=bearer | {"Accept-Language": "zh-TW"}),
        await http.get("/api/v1/tracking", params={"tracking_number": "TW12345678"}),
    ]


async def test_s_err_1_database_outage_closed_port_answers_503_with_retry_after_and_one_warning(caplog):
    caplog.set_level(logging.INFO)
    db = Database(CLOSED_PORT_URL, pool_size=2)
    try:
        async for http in serve(db):
            answers = await during_outage(http, "not-checked-without-a-database")
            ready = await http.get("/health/ready")
    finally:
        await db.dispose()
    for answer in answers:
        assert_unavailable(answer)
    assert answers[0].json()["title"] == "Service unavailable"
    assert answers[3].json()["title"] == "服務暫時無法使用"
    assert ready.status_code == 503 and ready.json()["database"]["state"] == "down"
    warnings, loud = outage_records(caplog)
    assert len(warnings) == 1 and "ConnectionRefusedError" in warnings[0]
    assert loud == []


@pytest.fixture
async def proxied_db() -> AsyncIterator[tuple[Database, CuttableProxy]]:
    if not POSTGRES_URL:
        pytest.skip("needs DINGDAN_TEST_POSTGRES_URL")
    url = make_url(POSTGRES_URL)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    db = Database(url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False), pool_size=2)
    async with db.write_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield db, proxy
    await proxy.close()
    await db.dispose()


async def staff_token(db: Database) -> str:
    async def create(session: Any) -> str:
        email = f"outage-{uuid.uuid4().hex[:8]}@shop.test"
        staff = await auth.create_staff(session, email=email, password="correct horse", role=Role.CLERK)
        return await auth.issue_token(session, staff=staff)

    return await db.write(create)


async def test_s_err_1_database_outage_mid_run_answers_503_and_recovers_after_restore(proxied_db, caplog):
    db, proxy = proxied_db
    token = await staff_token(db)
    bearer = {"Authorization": f"Bearer {token}"}
    async for http in serve(db):
        assert (await http.get("/api/v1/orders", headers=bearer)).status_code == 200
        caplog.set_level(logging.INFO)
        proxy.cut()  # the pool's open connections die, new ones are refused
        answers = await during_outage(http, token)
        ready = await http.get("/health/ready")
        warnings, loud = outage_records(caplog)
        proxy.restore()
        after = [(await http.get("/api/v1/orders", headers=bearer)).status_code for _ in range(3)]
    for answer in answers:
        assert_unavailable(answer)
    assert ready.status_code == 503
    assert len(warnings) == 1
    assert loud == []
    assert after[-1] == 200 and set(after) <= {200, 503}


def test_s_err_1_only_errors_of_reaching_the_database_count_as_an_outage():
    assert is_unreachable(PoolTimeoutError("QueuePool limit reached"))
    assert is_unreachable(OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused")))
    assert is_unreachable(OperationalError("SELECT 1", {}, Exception("unable to open database file")))
    lost = DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_unreachable(lost)
    assert not is_unreachable(DBAPIError("SELEC 1", {}, Exception('syntax error at or near "SELEC"')))
    assert not is_unreachable(OperationalError("UPDATE", {}, Exception("database is locked")))
    assert not is_unreachable(FileNotFoundError(2, "no such file"))  # not raised by the driver
