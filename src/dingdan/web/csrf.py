"""CSRF protection for the HTML pages: a double-submit token.

Every page response carries a random token in the `dd_csrf` cookie (HttpOnly, SameSite=Strict);
the page embeds the same value in its forms (`csrf_token`) and in HTMX's `X-CSRF-Token` header.
A state-changing page request is accepted only when the submitted value equals the cookie.
The JSON API under /api/ uses bearer tokens and is not cookie-authenticated, so it is exempt.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dingdan.platform.errors import Forbidden

COOKIE = "dd_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
EXEMPT_PREFIXES = ("/api/", "/webhooks/", "/static/", "/health", "/metrics", "/openapi.json", "/docs")


class CsrfTokenFailed(Forbidden):
    code = "csrf-failed"
    title = "The form has expired; reload the page and try again"


class CsrfCookie:
    """Gives each browser a CSRF token and exposes it as `request.state.csrf_token`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = request.cookies.get(COOKIE)
        fresh = not token
        token = token or secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                headers.append("set-cookie", f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def verify_csrf(request: Request) -> None:
    """Dependency for every state-changing page route."""
    expected = request.cookies.get(COOKIE, "")
    submitted = request.headers.get(HEADER, "")
    if not submitted and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        submitted = str((await request.form()).get(FIELD, ""))
    if not expected or not hmac.compare_digest(expected, submitted):
        raise CsrfTokenFailed("missing or wrong CSRF token", field=FIELD)
