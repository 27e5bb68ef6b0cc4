"""Server-rendered pages (Jinja2 + HTMX): the merchant console, the customer portal, tracking."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from dingdan.web.pages.session import LoginRequired, PageForbidden, login_url
from dingdan.web.pages.templating import render
from dingdan.web.routing import add_routes

STATIC_DIR = __import__("pathlib").Path(__file__).resolve().parent.parent / "static"


async def on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": login_url(exc.next_path)})
    return RedirectResponse(login_url(exc.next_path), status_code=303)


async def on_forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageForbidden)
    return render(request, "console/forbidden.html", {"permission": exc.permission}, status=403)


def install(app: FastAPI) -> None:
    from dingdan.web.pages import (
        aftersales,
        audit_log,
        console,
        intake,
        inventory,
        live_updates,
        order_bulk,
        order_edit,
        order_entry,
        order_list,
        order_page,
        payment_refunds,
        reports,
        review,
        ship_orders,
        shipping_desk,
    )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(PageForbidden, on_forbidden)
    add_routes(app, console.router, aftersales.router)
    # Fixed paths (/console/orders/new, /bulk) before the /console/orders/{number} pages.
    for module in (
        order_entry,
        order_list,
        order_bulk,
        order_edit,
        order_page,
        payment_refunds,
        review,
        inventory,
        live_updates,
        intake,
        reports,
        ship_orders,
        shipping_desk,
        audit_log,
    ):
        add_routes(app, module.router)

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/console/", status_code=303)

    @app.get("/manifest.webmanifest", include_in_schema=False)
    async def manifest() -> Response:
        return Response(
            (STATIC_DIR / "manifest.webmanifest").read_bytes(), media_type="application/manifest+json"
        )
