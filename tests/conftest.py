"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests need DINGDAN_TEST_POSTGRES_URL (CI sets it); without it they are skipped with
a loud reason, so `make test` still runs on a laptop with no server.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

os.environ.setdefault("DINGDAN_VAR_DIR", tempfile.mkdtemp(prefix="dingdan-test-"))
os.environ.setdefault("DINGDAN_RUN_RELAY", "false")
# Each test starts an app; freezing at each start would keep the earlier tests' garbage for good.
os.environ.setdefault("DINGDAN_FREEZE_STARTUP_OBJECTS", "false")

from dingdan.auth import service as auth
from dingdan.auth.rules import Role
from dingdan.channels import service as channels
from dingdan.inventory import service as inventory
from dingdan.main import create_app
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings
from dingdan.tables import metadata
from dingdan.web.routing import LeanRoute

# Shared CI machines are slow at times: examples are judged on what they find, not on speed.
hypothesis_settings.register_profile("dingdan", deadline=None)
hypothesis_settings.load_profile("dingdan")

POSTGRES_URL = os.environ.get("DINGDAN_TEST_POSTGRES_URL", "")
NO_POSTGRES = (
    "PostgreSQL tests SKIPPED: set DINGDAN_TEST_POSTGRES_URL "
    "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test); CI requires them"
)
_pg_schema_ready = False


def pytest_report_header(config: pytest.Config) -> str:
    return f"PostgreSQL: {POSTGRES_URL or 'NOT SET — ' + NO_POSTGRES}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgres":
        if not POSTGRES_URL:
            if os.environ.get("DINGDAN_TEST_REQUIRE_POSTGRES"):
                pytest.fail("PostgreSQL is required here but DINGDAN_TEST_POSTGRES_URL is not set")
            pytest.skip(NO_POSTGRES)
        return POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"


async def _reset_postgres(database: Database) -> None:
    global _pg_schema_ready  # noqa: PLW0603
    async with database.write_engine.begin() as conn:
        if not _pg_schema_ready:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
            await conn.run_sync(metadata.create_all)
            _pg_schema_ready = True
        else:
            names = ", ".join(t.name for t in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url, pool_size=20)
    if database.is_sqlite:
        async with database.write_engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    else:
        await _reset_postgres(database)
    channels.forget_cached()
    await database.write(_seed)
    yield database
    clock.reset_clock()
    await database.dispose()


async def _seed(session: Any) -> None:
    await channels.ensure_seed_channels(session)
    await inventory.ensure_default_warehouse(session)


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(get_settings(), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


@pytest.fixture
async def without_lean(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app without its lean routes (web/routing.LeanRoute): what the FastAPI routes answer."""
    app = create_app(get_settings(), db=db)
    app.router.routes[:] = [r for r in app.router.routes if not isinstance(r, LeanRoute)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


TokenFactory = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def login(db: Database) -> TokenFactory:
    """`headers = await login("clerk")`: a staff account of that role and its auth header."""
    made: dict[str, dict[str, str]] = {}

    async def make(role: str = "owner") -> dict[str, str]:
        if role not in made:

            async def create(session: Any) -> str:
                staff = await auth.create_staff(
                    session, email=f"{role}@shop.test", password="correct horse", role=Role(role)
                )
                return await auth.issue_token(session, staff=staff)

            made[role] = {"Authorization": f"Bearer {await db.write(create)}"}
        return made[role]

    return make


# --- browser tests -------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def live_server(db: Database) -> AsyncIterator[str]:
    """The app served by uvicorn on a free port, in the test's event loop (same database)."""
    import asyncio
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(get_settings(), db=db)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("DINGDAN_TEST_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here: apt-get install chromium")
        pytest.skip("browser tests SKIPPED: Debian's chromium is not installed")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    width, height = request.param
    return {"width": width, "height": height}


@pytest.fixture
async def customer_headers(db: Database) -> dict[str, str]:
    """A signed-in customer's auth header."""
    from dingdan.customers import service as customers

    async def create(session: Any) -> str:
        account = await customers.register(session, contact="buyer@shop.test", password="correct horse 9")
        return await customers.issue_token(session, account=account)

    return {"Authorization": f"Bearer {await db.write(create)}"}
