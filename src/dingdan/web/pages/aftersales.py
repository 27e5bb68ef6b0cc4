"""Console pages: the after-sales queue with its steps, and the notification delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from dingdan.aftersales import reviews
from dingdan.aftersales import service as aftersales
from dingdan.aftersales.rules import Disposition
from dingdan.auth.rules import Permission
from dingdan.inventory import service as inventory
from dingdan.notifications import service as notifications
from dingdan.notifications.rules import Channel
from dingdan.platform.errors import DomainError
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.templating import render
from dingdan.workflows import aftersales_flow as flow

router = APIRouter(prefix="/console", include_in_schema=False)
Support = Annotated[Principal, Depends(staff_page(Permission.SUPPORT_MANAGE))]
RequestPath = Annotated[str, Path(max_length=24)]
QUEUE_TABS = ("requested", "approved", "received", "inspected", "refund_pending", "completed", "rejected")


@router.get("/aftersales")
async def queue(request: Request, db: DB, _: Support, status: str = "requested") -> Response:
    wanted = status if status in QUEUE_TABS else "requested"
    async with db.read() as session:
        rows = await aftersales.list_requests(session, statuses=[wanted], limit=100)
    items = [aftersales.request_view(r) for r in rows]
    return render(
        request, "console/aftersales_queue.html", {"items": items, "tab": wanted, "tabs": QUEUE_TABS}
    )


@router.get("/aftersales/{number}")
async def detail(
    request: Request, number: RequestPath, db: DB, _: Support, error: str | None = None
) -> Response:
    async with db.read() as session:
        row = await aftersales.get_request(session, number=number)
        tokens = await reviews.photo_tokens(session, request_ids=[row.id])
        warehouses = await inventory.list_warehouses(session)
    context = {
        "r": aftersales.request_view(row),
        "photos": [reviews.photo_url(t) for t in tokens.get(("request", row.id), [])],
        "warehouses": [w.code for w in warehouses if w.active],
        "error": error,
    }
    return render(request, "console/aftersales_detail.html", context)


@router.post("/aftersales/{number}/step", dependencies=[Depends(verify_csrf)])
async def step(
    number: RequestPath,
    db: DB,
    who: Support,
    action: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=500)] = "",
    warehouse: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """One form for every step; a refusal comes back as a message on the page."""
    target = f"/console/aftersales/{number}"
    try:
        await _run_step(db, number, who.actor, action, reason.strip(), warehouse or None)
    except DomainError as error:
        return RedirectResponse(f"{target}?error={error.code}", status_code=303)
    return RedirectResponse(target, status_code=303)


async def _run_step(db: DB, number: str, actor: str, action: str, reason: str, warehouse: str | None) -> None:
    if action in {"approve", "reject"}:
        await db.write(flow.decide, number=number, approve=action == "approve", reason=reason, actor=actor)
    elif action == "receive":
        await db.write(flow.receive_items, number=number, actor=actor, note=reason)
    elif action in {d.value for d in Disposition}:
        await db.write(
            flow.dispose_items,
            number=number,
            disposition=Disposition(action),
            warehouse=warehouse,
            actor=actor,
        )
    elif action == "refund":
        await db.write(flow.request_refund, number=number, actor=actor)
    elif action == "complete":
        await db.write(flow.complete, number=number, actor=actor, reference=reason)


@router.get("/notifications")
async def delivery_log(request: Request, db: DB, _: Support, channel: str | None = None) -> Response:
    wanted = channel if channel in {Channel.EMAIL.value, Channel.SMS.value} else None
    async with db.read() as session:
        rows = await notifications.list_deliveries(session, channel=wanted, limit=100)
    rows = [r for r in rows if r.channel != Channel.CONSOLE.value]
    return render(request, "console/delivery_log.html", {"rows": rows, "channel": wanted})
