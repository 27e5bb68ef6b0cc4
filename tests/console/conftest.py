"""Console fixtures: a logged-in browser-like client per role, and the CSRF token of a page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from dingdan.main import create_app
from dingdan.platform.settings import get_settings


async def csrf_of(client: httpx.AsyncClient, path: str = "/console/login") -> str:
    page = await client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


SessionFactory = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def console(db, login) -> AsyncIterator[SessionFactory]:
    """`page = await console("clerk")`: an HTTP client logged in to the console in that role,
    with `page.csrf` holding its CSRF token."""
    opened: list[httpx.AsyncClient] = []
    app = create_app(get_settings(), db=db)

    async def open_as(role: str = "owner") -> httpx.AsyncClient:
        await login(role)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        opened.append(http)
        token = await csrf_of(http)
        answer = await http.post("/console/login", data={
            "email": f"{role}@shop.test", "password": "correct horse", "csrf_token": token, "next": "/console/"})
        assert answer.status_code == 303, answer.text
        http.csrf = token  # type: ignore[attr-defined]
        http.app = app  # type: ignore[attr-defined]
        return http

    yield open_as
    for http in opened:
        await http.aclose()


@pytest.fixture
async def live_console(db) -> AsyncIterator[tuple[str, Any]]:
    """The app served over real HTTP with the outbox relay running, as in production: the
    base URL and the app."""
    import asyncio
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(get_settings().model_copy(update={"run_relay": True}), db=db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    server.force_exit = True
    await task
