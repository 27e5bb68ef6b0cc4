"""Console entry pages: login, logout, dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from dingdan.auth import rules as auth_rules
from dingdan.auth import service as auth
from dingdan.platform.errors import DomainError
from dingdan.reports.dashboard import load_dashboard
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.origin import record_failed_login, staff_signed_in, staff_signing_out
from dingdan.web.pages.session import SESSION_COOKIE, SESSION_SECONDS, staff_page
from dingdan.web.pages.templating import render
from dingdan.web.ratelimit import rate_limits

router = APIRouter(prefix="/console", include_in_schema=False)
AnyStaff = Annotated[Principal, Depends(staff_page(auth_rules.Permission.ORDERS_READ))]


def _safe_next(next_path: str | None) -> str:
    if next_path and next_path.startswith("/console") and "//" not in next_path:
        return next_path
    return "/console/"


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "console/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
async def login(
    request: Request,
    db: DB,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/console/",
) -> Response:
    account = email.strip().lower()
    limits = rate_limits(request)

    async def sign_in(session: AsyncSession) -> str:
        staff = await auth.authenticate(session, email=email, password=password)
        staff_signed_in(staff.id, staff.email)
        return await auth.issue_token(
            session, staff=staff, kind="session", user_agent=request.headers.get("user-agent", "")
        )

    try:
        await limits.check_login(request, account)
        token = await db.write(sign_in)
    except DomainError as error:
        if error.status != 429:
            await limits.login_failed(request, account)
            await record_failed_login(db, account, error.code)
        return render(
            request,
            "console/login.html",
            {"next": _safe_next(next), "error": error.code, "email": email},
            status=429 if error.status == 429 else 401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout", dependencies=[Depends(verify_csrf)])
async def logout(request: Request, db: DB, who: AnyStaff) -> Response:
    staff_signing_out(who.id)
    await db.write(lambda s: auth.revoke_token(s, token_hash=who.token_hash))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
async def dashboard(request: Request, db: DB, who: AnyStaff) -> Response:
    async with db.read() as session:
        figures = await load_dashboard(session)
    return render(request, "console/dashboard.html", {"d": figures})
