"""Where a request comes from: the client address and user agent, kept for the audit log.

The client address is the one the ASGI server reports: the peer, or the address in
X-Forwarded-For when the peer is a proxy listed in DINGDAN_FORWARDED_ALLOW_IPS (`dingdan serve`
passes it to uvicorn). It is never read from headers here, so a client cannot forge it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dingdan.platform import audit
from dingdan.platform.db import Database


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _scope_client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RequestOrigin:
    """Opens an audit origin for every HTTP request; the staff dependencies name the actor."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        agent = dict(scope.get("headers", [])).get(b"user-agent", b"").decode("latin-1")
        origin = audit.Origin(
            ip=_scope_client(scope), user_agent=agent[:200], method=scope["method"], path=scope["path"]
        )
        with audit.opened(origin):
            await self.app(scope, receive, send)


def staff_signed_in(staff_id: int, email: str) -> None:
    """Inside the login's transaction: its entry names the staff member who signed in."""
    audit.identify(f"staff:{email}")
    audit.describe("auth.login", "staff", str(staff_id))


def staff_signing_out(staff_id: int) -> None:
    audit.describe("auth.logout", "staff", str(staff_id))


async def record_failed_login(db: Database, account: str, reason: str) -> None:
    """A wrong password is in the audit log too (a throttled attempt is not: it costs nothing
    to send and would let anyone fill the log)."""
    origin = audit.current()
    if origin is None:
        return
    await db.write(
        lambda session: audit.record(
            session, origin, "anonymous", "auth.login_failed", "account", account, {"reason": reason}
        )
    )
