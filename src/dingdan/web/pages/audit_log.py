"""Console: the audit log of staff actions (owner only), with the filters of the API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dingdan.auth.rules import Permission
from dingdan.platform.audit import AuditEntry
from dingdan.platform.errors import InvalidInput
from dingdan.web import i18n
from dingdan.web.api.audit import audit_filter, audit_page
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.wording import actor_name, render_console, timeline_title

router = APIRouter(prefix="/console", include_in_schema=False)
Owner = Annotated[Principal, Depends(staff_page(Permission.AUDIT_READ))]
FILTERS = ("actor", "action", "object_type", "object_id", "from", "to")
PAGE_SIZE = 50
ACTIONS = {
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.login_failed": "Wrong password",
    "inventory.adjusted": "Stock adjusted",
    "inventory.low_stock": "Low stock",
    "catalog_product.created": "Product added",
    "catalog_product.updated": "Product changed",
    "inventory_item.updated": "Low-stock threshold changed",
    "channels_channel.created": "Channel added",
    "channels_channel.updated": "Channel changed",
    "channels_api_key.created": "API key issued",
    "channels_api_key.updated": "API key revoked",
}
OBJECT_PAGES = {
    "order": "/console/orders/{id}",
    "sku": "/console/inventory/{id}",
    "aftersales_request": "/console/aftersales/{id}",
    "exception_case": "/console/shipping/cases/{id}",
}


def object_link(entry: AuditEntry) -> str | None:
    page = OBJECT_PAGES.get(entry.object_type)
    return page.format(id=entry.object_id) if page and entry.object_id else None


def action_label(translate: Any, action: str) -> str:
    if action in ACTIONS:
        return str(translate(ACTIONS[action]))
    return timeline_title(translate, action, {})


def _older_url(params: dict[str, str], cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return "/console/audit?" + urlencode({**{k: v for k, v in params.items() if v}, "cursor": cursor})


@router.get("/audit")
async def audit_log(request: Request, db: DB, _: Owner) -> Response:
    params = {name: request.query_params.get(name, "")[:130] for name in FILTERS}
    problem = None
    try:
        wanted = audit_filter(request, dict(params))
        rows, cursor = await audit_page(db, wanted, request.query_params.get("cursor"), PAGE_SIZE)
    except InvalidInput as error:
        problem, rows, cursor = error.field, [], None
    translate = i18n.translations(i18n.pick_locale(request)).ugettext
    entries = [
        {
            "row": row,
            "action": action_label(translate, row.action),
            "actor": actor_name(translate, row.actor),
            "link": object_link(row),
        }
        for row in rows
    ]
    context = {
        "entries": entries,
        "params": params,
        "problem": problem,
        "older_url": _older_url(params, cursor),
    }
    return render_console(request, "console/audit.html", context, status=422 if problem else 200)
