"""S-SEC-2 / S-SEC-10: every API route × every kind of caller, generated from the app's own
routes. A route that declares no permission and is not in the public list fails the test, so
a new route cannot be left unprotected by accident."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from dingdan.auth.rules import PERMISSIONS, Role
from dingdan.main import create_app
from dingdan.platform.settings import get_settings
from dingdan.web import deps

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/me/register"),
    ("POST", "/api/v1/me/token"),
    ("GET", "/api/v1/tracking"),
    ("POST", "/api/v1/me/password-reset"),
    ("POST", "/api/v1/me/password-reset/confirm"),  # rate-limited
}
PUBLIC_PREFIXES = ("/webhooks/",)  # signed by the sender; checked by the signature tests
SELF_SERVICE: set[tuple[str, str]] = set()  # every route now declares staff, customer or a permission


def _needs(route: Any) -> tuple[str, object]:
    """('public' | 'staff' | 'customer' | 'permission', detail) from the route's dependencies."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        call = dependency.call
        if getattr(call, "permission", None) is not None:
            return "permission", call.permission
        if call is deps.current_customer:
            return "customer", None
        if call is deps.current_staff:
            return "staff", None
        stack.extend(dependency.dependencies)
    return "none", None


def _flatten(routes: list[Any]) -> list[Any]:
    """Every endpoint of the app, including those of included routers."""
    flat = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            flat.extend(route.effective_route_contexts())
        elif isinstance(route, APIRoute):
            flat.append(route)
    return flat


def api_routes() -> list[tuple[str, str, Any]]:
    app = create_app(get_settings())
    found = []
    for route in _flatten(app.routes):
        if route.path.startswith("/api/") or route.path in {p for _, p in PUBLIC}:
            for method in sorted(set(route.methods) - {"HEAD"}):
                found.append((method, route.path, route))
    return found


ROUTES = api_routes()


def test_s_sec_10_every_route_is_public_or_declares_who_may_call_it():
    unprotected = [
        (m, p)
        for m, p, r in ROUTES
        if _needs(r)[0] == "none"
        and (m, p) not in PUBLIC
        and (m, p) not in SELF_SERVICE
        and not p.startswith(PUBLIC_PREFIXES)
    ]
    assert unprotected == []


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def expected(kind: str, permission: object, caller: str) -> bool:
    """May this caller (a staff role or 'customer') use a route that needs `kind`?"""
    if caller == "customer":
        return kind == "customer"
    if kind == "permission":
        return Role(caller) in PERMISSIONS[permission]  # type: ignore[index]
    return kind != "customer"


async def test_s_sec_2_each_caller_gets_what_the_permission_table_says(client, db, login, customer_headers):
    callers = {role.value: await login(role.value) for role in Role} | {"customer": customer_headers}
    wrong = []
    for method, path, route in ROUTES:
        if (method, path) in PUBLIC or "logout" in path or "sessions" in path:
            continue  # signing out revokes the very tokens this loop uses; tested on their own
        kind, permission = _needs(route)
        url = concrete(path)
        anonymous = await client.request(method, url)
        if anonymous.status_code != 401:
            wrong.append((method, path, "anonymous", anonymous.status_code))
        for caller, headers in callers.items():
            status = (await client.request(method, url, headers=headers)).status_code
            allowed = expected(kind, permission, caller)
            if status >= 500 or (allowed and status in (401, 403)) or (not allowed and status != 403):
                wrong.append((method, path, caller, status))
    assert wrong == [], "\n".join(map(str, wrong))
