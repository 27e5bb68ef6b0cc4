"""The console's shipping page: parcels by status with counts, and the exception queue
(物流異常) where each case is worked: cause, what the customer is told, actions, owner,
resolution and timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.platform.errors import DomainError
from dingdan.reports.parcels import list_parcels, load_parcel_figures
from dingdan.shipping import exception_cases as cases
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.parcel_view import CAUSES, PARCEL_TONE, carrier_names
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.track import PARCEL_STATUS_TEXT
from dingdan.web.pages.wording import render_console

router = APIRouter(prefix="/console/shipping", include_in_schema=False)
Shipper = Annotated[Principal, Depends(staff_page(Permission.SHIPPING_MANAGE))]
CaseId = Annotated[int, Path(ge=1, le=2**62)]
# The tiles of the page: which parcel statuses each one counts.
GROUPS: dict[str, tuple[str, ...]] = {
    "in_transit": ("info_received", "picked_up", "in_transit"),
    "out_for_delivery": ("out_for_delivery", "available_for_pickup"),
    "exceptions": ("exception", "delivery_failed", "returning"),
}
CASE_TABS = ("open", "in_progress", "resolved")
ACTIONS = {
    "contact_carrier": "Contacted the carrier",
    "contact_customer": "Contacted the customer",
    "reship": "Reshipped",
    "refund": "Refunded",
    "compensate": "Compensated",
    "note": "Note",
}
CASE_STATUS = {"open": "Open", "in_progress": "In progress", "resolved": "Resolved"}


def desk_words() -> dict[str, Any]:
    return {
        "CAUSES": CAUSES,
        "CASE_ACTIONS": ACTIONS,
        "CASE_STATUS": CASE_STATUS,
        "PARCEL_STATUS": PARCEL_STATUS_TEXT,
        "PARCEL_TONE": PARCEL_TONE,
        "carrier_names": carrier_names(),
    }


def _parcel_filter(show: str) -> dict[str, Any]:
    if show == "stuck":
        return {"stuck_only": True}
    if show in GROUPS:
        return {"statuses": GROUPS[show]}
    return {"statuses": (show,)} if show in PARCEL_STATUS_TEXT else {"statuses": GROUPS["exceptions"]}


@router.get("")
async def shipping_page(
    request: Request, db: DB, who: Shipper, cases_tab: str = "open", show: str = "exceptions"
) -> Response:
    tab = cases_tab if cases_tab in CASE_TABS else "open"
    async with db.read() as session:
        figures = await load_parcel_figures(session)
        queue = await cases.list_cases(session, statuses=[cases.CaseStatus(tab)], limit=100)
        parcels = await list_parcels(session, **_parcel_filter(show))
    tiles = {name: figures.count(*statuses) for name, statuses in GROUPS.items()}
    context = {
        "figures": figures,
        "tiles": {**tiles, "stuck": figures.stuck},
        "queue": queue,
        "cases_tab": tab,
        "case_tabs": CASE_TABS,
        "show": show,
        "parcels": parcels,
        **desk_words(),
    }
    return render_console(request, "console/shipping.html", context)


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: CaseId, db: DB, who: Shipper) -> Response:
    async with db.read() as session:
        case = await cases.get_case(session, case_id=case_id)
        timeline = await cases.list_case_timeline(session, case_id=case_id)
    context = {
        "case": case,
        "timeline": list(reversed(timeline)),
        "done": request.query_params.get("done", ""),
        "error": request.query_params.get("error", ""),
        **desk_words(),
    }
    return render_console(request, "console/shipping_case.html", context)


def case_changes(
    case: Any, status: str, owner: str, customer_message: str, resolution: str
) -> dict[str, Any]:
    """Only what the form changed, so the case's timeline shows real changes."""
    wanted = {
        "status": status if status in CASE_TABS else None,
        "owner": owner.strip() or None,
        "customer_message": customer_message.strip() or None,
        "resolution": resolution.strip() or None,
    }
    return {key: value for key, value in wanted.items() if value is not None and value != case[key]}


@router.post("/cases/{case_id}", dependencies=[Depends(verify_csrf)])
async def work_case(
    case_id: CaseId,
    db: DB,
    who: Shipper,
    status: Annotated[str, Form(max_length=20)] = "",
    owner: Annotated[str, Form(max_length=120)] = "",
    customer_message: Annotated[str, Form(max_length=2000)] = "",
    resolution: Annotated[str, Form(max_length=2000)] = "",
    action: Annotated[str, Form(max_length=30)] = "",
    action_note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    target = f"/console/shipping/cases/{case_id}"
    try:
        async with db.read() as session:
            case = await cases.get_case(session, case_id=case_id)
        changes = case_changes(case, status, owner, customer_message, resolution)
        taken = {"type": action, "note": action_note.strip()} if action in ACTIONS else None
        await db.write(cases.update_case, case_id=case_id, changes=changes, action=taken, actor=who.actor)
    except DomainError as error:
        return RedirectResponse(f"{target}?error={error.code}", status_code=303)
    return RedirectResponse(f"{target}?done=case-saved", status_code=303)
