"""Customer sign-in for the portal pages: the customer token in an HttpOnly, SameSite cookie.

The same accounts, tokens and rate limits as POST /api/v1/me/token; signing out revokes the
session, and a revoked or expired token sends the customer back to the sign-in page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from dingdan.customers import service as customers
from dingdan.customers.errors import InvalidCustomerToken
from dingdan.platform.errors import DomainError
from dingdan.web.api.me import sign_in
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal, customer_principal, db_of
from dingdan.web.pages.templating import render

router = APIRouter(prefix="/account", include_in_schema=False)
CUSTOMER_COOKIE = "dd_customer"
COOKIE_SECONDS = 30 * 86400


class CustomerLoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def safe_next(next_path: str | None) -> str:
    if next_path and next_path.startswith("/account/") and "//" not in next_path and "\\" not in next_path:
        return next_path
    return "/account/orders"


async def find_customer(request: Request) -> Principal | None:
    token = request.cookies.get(CUSTOMER_COOKIE)
    if not token:
        return None
    try:
        async with db_of(request).connection() as connection:
            found = await customers.verify_token(connection, token=token)
    except InvalidCustomerToken:
        return None
    return customer_principal(found)


async def signed_in_customer(request: Request) -> Principal:
    """Dependency of every portal page: the customer, or a redirect to sign in."""
    principal = await find_customer(request)
    if principal is None:
        raise CustomerLoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return principal


PortalCustomer = Annotated[Principal, Depends(signed_in_customer)]


async def on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CustomerLoginRequired)
    target = f"/account/login?next={quote(exc.next_path, safe='')}"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CustomerLoginRequired, on_login_required)


def _signed_in(request: Request, token: str, next_path: str) -> Response:
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        CUSTOMER_COOKIE,
        token,
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "account/login.html", {"next": safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
async def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/account/orders",
) -> Response:
    try:
        token = await sign_in(request, db, username, password)
    except DomainError as error:
        context = {"next": safe_next(next), "error": error.code, "username": username}
        return render(request, "account/login.html", context, status=429 if error.status == 429 else 401)
    return _signed_in(request, token, next)


@router.get("/register")
async def register_page(request: Request) -> Response:
    return render(request, "account/register.html", {"error": None})


@router.post("/register", dependencies=[Depends(verify_csrf)])
async def register(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    name: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    async def create(session: AsyncSession) -> str:
        account = await customers.register(session, contact=username, password=password, name=name.strip())
        return await customers.issue_token(
            session, account=account, user_agent=request.headers.get("user-agent", "")
        )

    try:
        token = await db.write(create)
    except DomainError as error:
        context = {"error": error.code, "username": username, "name": name}
        return render(request, "account/register.html", context, status=error.status)
    return _signed_in(request, token, "/account/orders")


@router.post("/logout", dependencies=[Depends(verify_csrf)])
async def logout(db: DB, who: PortalCustomer) -> Response:
    await db.write(lambda s: customers.revoke_token(s, token_hash=who.token_hash))
    response = RedirectResponse("/account/login", status_code=303)
    response.delete_cookie(CUSTOMER_COOKIE, path="/")
    return response
