"""Inventory: levels per SKU and warehouse, low stock, thresholds, adjustments, the ledger and
a chart of a SKU's stock over time (with the same numbers in a table)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.inventory import service as inventory
from dingdan.platform.errors import DomainError
from dingdan.reports.stock_overview import list_sku_rows, stock_history
from dingdan.web.api.responses import json_response
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.wording import render_console

router = APIRouter(prefix="/console/inventory", include_in_schema=False)
Reader = Annotated[Principal, Depends(staff_page(Permission.INVENTORY_READ))]
Adjuster = Annotated[Principal, Depends(staff_page(Permission.INVENTORY_ADJUST))]
CSRF = [Depends(verify_csrf)]
PAGE_SIZE = 50
LEDGER_SIZE = 50
HISTORY_DAYS = 30


@router.get("")
async def inventory_page(request: Request, db: DB, who: Reader) -> Response:
    q = request.query_params.get("q", "").strip()[:64]
    low = request.query_params.get("low") == "1"
    after = request.query_params.get("after", "")[:64]
    async with db.read() as session:
        rows = await list_sku_rows(session, text=q, low_only=low, after_sku=after, limit=PAGE_SIZE)
        warehouses = await inventory.list_warehouses(session)
    next_url = None
    if len(rows) == PAGE_SIZE:
        next_url = "/console/inventory?" + urlencode(
            {"q": q, "low": "1" if low else "", "after": rows[-1].sku}
        )
    return render_console(
        request,
        "console/inventory.html",
        {"rows": rows, "warehouses": warehouses, "q": q, "low": low, "next_url": next_url},
    )


def _sku_url(sku: str, **outcome: str) -> str:
    return f"/console/inventory/{quote(sku, safe='')}" + (f"?{urlencode(outcome)}" if outcome else "")


@router.get("/{sku}")
async def sku_page(request: Request, sku: str, db: DB, who: Reader) -> Response:
    before = request.query_params.get("before", "")
    async with db.read() as session:
        levels = await inventory.get_levels(session, sku=sku[:64])
        ledger = await inventory.list_movements(
            session, sku=levels.sku, after_id=int(before) if before.isdigit() else None, limit=LEDGER_SIZE
        )
        history = await stock_history(session, sku=levels.sku, days=HISTORY_DAYS)
        warehouses = await inventory.list_warehouses(session)
    return render_console(
        request,
        "console/inventory_sku.html",
        {
            "levels": levels,
            "ledger": ledger,
            "history": history,
            "warehouses": warehouses,
            "sku_url": _sku_url(levels.sku),
            "older_url": _sku_url(levels.sku, before=str(ledger[-1].id))
            if len(ledger) == LEDGER_SIZE
            else None,
            "done": request.query_params.get("done", ""),
            "error": request.query_params.get("error", ""),
        },
    )


@router.get("/{sku}/history.json")
async def sku_history(sku: str, db: DB, who: Reader) -> Response:
    async with db.read() as session:
        levels = await inventory.get_levels(session, sku=sku[:64])
        history = await stock_history(session, sku=levels.sku, days=HISTORY_DAYS)
    return json_response(
        {
            "sku": levels.sku,
            "threshold": levels.low_stock_threshold,
            "points": [
                {
                    "day": p.day.isoformat(),
                    "on_hand": p.on_hand,
                    "reserved": p.reserved,
                    "available": p.available,
                }
                for p in history
            ],
        }
    )


@router.post("/{sku}/threshold", dependencies=CSRF)
async def set_threshold(
    sku: str, db: DB, who: Adjuster, threshold: Annotated[int, Form(ge=0, le=1_000_000)]
) -> Response:
    try:
        await db.write(inventory.set_threshold, sku=sku[:64], threshold=threshold)
    except DomainError as error:
        return RedirectResponse(_sku_url(sku, error=error.code), status_code=303)
    return RedirectResponse(_sku_url(sku, done="threshold"), status_code=303)


@router.post("/{sku}/adjust", dependencies=CSRF)
async def adjust(
    sku: str,
    db: DB,
    who: Adjuster,
    delta: Annotated[int, Form(ge=-1_000_000, le=1_000_000)],
    reason: Annotated[str, Form(max_length=200)] = "",
    warehouse: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    if not reason.strip() or delta == 0:
        return RedirectResponse(_sku_url(sku, error="reason-needed"), status_code=303)
    try:
        await db.write(
            inventory.adjust,
            sku=sku[:64],
            delta=delta,
            reason=reason.strip(),
            actor=who.actor,
            warehouse_code=warehouse or None,
        )
    except DomainError as error:
        return RedirectResponse(_sku_url(sku, error=error.code), status_code=303)
    return RedirectResponse(_sku_url(sku, done="adjusted"), status_code=303)
