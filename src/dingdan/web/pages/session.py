"""Console sessions: a staff token in an HttpOnly, SameSite cookie, checked on every page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request

from dingdan.auth import rules as auth_rules
from dingdan.auth import service as auth
from dingdan.auth.errors import InvalidToken
from dingdan.web.deps import Principal, db_of

SESSION_COOKIE = "dd_session"
SESSION_SECONDS = 12 * 3600


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class PageForbidden(Exception):
    def __init__(self, permission: str) -> None:
        self.permission = permission


async def find_staff(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        async with db_of(request).read() as session:
            staff = await auth.verify_token(session, token=token)
    except InvalidToken:
        return None
    principal = Principal("staff", staff.staff_id, staff.role, staff.email, staff.token_hash)
    request.state.staff = principal
    return principal


def staff_page(permission: auth_rules.Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the logged-in staff member allowed to do `permission`, or a redirect/403."""

    async def check(request: Request) -> Principal:
        principal = await find_staff(request)
        if principal is None:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if not auth_rules.role_may(principal.role, permission):
            raise PageForbidden(permission.value)
        return principal

    return check


def can(principal: Principal | None, permission: str) -> bool:
    """For templates: show an action's button only to roles that may use it."""
    return principal is not None and auth_rules.role_may(principal.role, auth_rules.Permission(permission))


def login_url(next_path: str) -> str:
    return f"/console/login?next={quote(next_path, safe='')}"
