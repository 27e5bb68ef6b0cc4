"""The console's door: login with CSRF, roles, language, the installable app."""

from __future__ import annotations

import re

import httpx


async def csrf_of(client: httpx.AsyncClient, path: str = "/console/login") -> str:
    page = await client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def staff_session(client, login, role: str = "owner") -> None:
    await login(role)
    token = await csrf_of(client)
    answer = await client.post(
        "/console/login",
        data={
            "email": f"{role}@shop.test",
            "password": "correct horse",
            "csrf_token": token,
            "next": "/console/",
        },
    )
    assert answer.status_code == 303, answer.text


async def test_pages_redirect_to_login_and_back(client, login):
    first = await client.get("/console/")
    assert first.status_code == 303
    assert first.headers["location"].startswith("/console/login?next=")
    await staff_session(client, login)
    dashboard = await client.get("/console/")
    assert dashboard.status_code == 200
    assert "今日訂單" in dashboard.text
    cookie = client.cookies.jar
    session = next(c for c in cookie if c.name == "dd_session")
    assert session.has_nonstandard_attr("HttpOnly")


async def test_login_without_csrf_token_is_refused(client, login):
    await login("owner")
    await client.get("/console/login")
    answer = await client.post(
        "/console/login", data={"email": "owner@shop.test", "password": "correct horse"}
    )
    assert answer.status_code == 403
    assert "dd_session" not in client.cookies


async def test_wrong_password_shows_a_message_and_is_rate_limited(client, login):
    await login("owner")
    token = await csrf_of(client)
    statuses = []
    for _ in range(12):
        answer = await client.post(
            "/console/login", data={"email": "owner@shop.test", "password": "wrong", "csrf_token": token}
        )
        statuses.append(answer.status_code)
    assert (statuses[0] == 401 and "電子郵件或密碼錯誤" in answer.text) or statuses[-1] == 429
    assert statuses[-1] == 429


async def test_english_is_one_click_away(client, login):
    await staff_session(client, login)
    page = await client.get("/console/?lang=en")
    assert "Orders today" in page.text
    assert (await client.get("/console/")).text.count("Orders today") == 1  # remembered


async def test_logout_revokes_the_session(client, login):
    await staff_session(client, login)
    token = await csrf_of(client, "/console/")
    assert (await client.post("/console/logout", data={"csrf_token": token})).status_code == 303
    assert (await client.get("/console/")).status_code == 303


async def test_the_console_is_installable(client):
    manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200
