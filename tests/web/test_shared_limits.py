"""Several API processes behave as one: rate limits counted in Redis, and a revoked token or
session refused by every process at once. Two app instances stand for two processes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from redis import asyncio as aioredis
from sqlalchemy import update

from dingdan.auth.models import StaffToken
from dingdan.customers.models import Session as CustomerSession
from dingdan.main import create_app
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.settings import Settings
from dingdan.web.ratelimit import RedisCounters

REDIS_URL = "redis://127.0.0.1:6379/0"
Processes = Callable[..., Awaitable[list[httpx.AsyncClient]]]


async def _redis_answers() -> bool:
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        return bool(await client.ping())
    except (OSError, aioredis.RedisError):
        return False
    finally:
        await client.aclose()


@pytest.fixture
async def processes(db: Database) -> AsyncIterator[Processes]:
    """`a, b = await processes(redis_url=...)`: two apps on one database, own key prefix."""
    prefix = f"test-{uuid.uuid4().hex}:"
    opened: list[tuple[Any, httpx.AsyncClient]] = []

    async def start(count: int = 2, **settings: Any) -> list[httpx.AsyncClient]:
        for _ in range(count):
            app = create_app(Settings(redis_key_prefix=prefix, **settings), db=db)
            http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            opened.append((app, http))
        return [http for _, http in opened[-count:]]

    yield start
    for app, http in opened:
        await http.aclose()
        if isinstance(app.state.rate_limits.counters, RedisCounters):
            await app.state.rate_limits.counters.close()
    if await _redis_answers():
        redis = aioredis.from_url(REDIS_URL)
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


@pytest.fixture
async def redis_url() -> str:
    if not await _redis_answers():
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    return REDIS_URL


async def wrong_password(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": "owner@shop.test", "password": "nope nope"})


async def test_s_sec_7_two_processes_share_one_login_limit(processes, redis_url, login):
    await login("owner")
    a, b = await processes(redis_url=redis_url)
    statuses = [(await wrong_password(a if i % 2 else b)).status_code for i in range(10)]
    assert statuses == [401] * 10
    for process in (a, b):
        refused = await wrong_password(process)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 0 < int(refused.headers["retry-after"]) <= 900


async def test_s_sec_6_two_processes_share_one_lookup_limit(processes, redis_url):
    a, b = await processes(redis_url=redis_url)
    lookups = [
        await (a if i % 2 else b).get("/api/v1/tracking", params={"tracking_number": "NOPE123"}) for i in range(10)
    ]
    assert {r.status_code for r in lookups} == {404}
    refused = await a.get("/api/v1/tracking", params={"tracking_number": "nope123"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


async def test_without_redis_each_process_counts_alone(processes, login):
    await login("owner")
    a, b = await processes()
    for _ in range(10):
        await wrong_password(a)
    assert (await wrong_password(a)).status_code == 429
    assert (await wrong_password(b)).status_code == 401


async def test_when_redis_is_gone_a_process_still_limits_on_its_own(processes, login):
    await login("owner")
    [alone] = await processes(count=1, redis_url="redis://127.0.0.1:1/0")
    statuses = [(await wrong_password(alone)).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]


async def revoke_everything(db: Database) -> None:
    """What a sign-out on another machine leaves behind: only the rows in the database."""

    async def revoke(session: Any) -> None:
        await session.execute(update(StaffToken).values(revoked_at=clock.now()))
        await session.execute(update(CustomerSession).values(revoked_at=clock.now()))

    await db.write(revoke)


async def test_s_sec_11_a_revoked_token_is_refused_by_every_process_at_once(processes, db, login):
    await login("owner")
    a, b = await processes()
    issued = await a.post("/api/v1/auth/token", data={"username": "owner@shop.test", "password": "correct horse"})
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert [(await p.get("/api/v1/auth/me", headers=headers)).status_code for p in (a, b)] == [200, 200]
    await revoke_everything(db)
    assert [(await p.get("/api/v1/auth/me", headers=headers)).status_code for p in (a, b)] == [401, 401]


async def test_s_sec_11_a_signed_out_console_session_is_refused_at_once(processes, db, login):
    await login("owner")
    a, b = await processes()
    await a.get("/console/login")
    signed_in = await a.post(
        "/console/login",
        data={"email": "owner@shop.test", "password": "correct horse", "csrf_token": a.cookies["dd_csrf"]},
    )
    assert signed_in.status_code == 303
    b.cookies.set("dd_session", a.cookies["dd_session"])
    assert (await b.get("/console/")).status_code == 200
    await revoke_everything(db)
    assert (await b.get("/console/")).status_code == 303  # back to the login page


async def test_s_sec_11_a_customer_signed_out_elsewhere_is_out_on_every_process(processes, db, customer_headers):
    a, b = await processes()
    assert [(await p.get("/api/v1/me", headers=customer_headers)).status_code for p in (a, b)] == [200, 200]
    await revoke_everything(db)
    assert [(await p.get("/api/v1/me", headers=customer_headers)).status_code for p in (a, b)] == [401, 401]
