"""The audit log of staff actions (owner only): who changed what, from where."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from dingdan.platform.audit import AuditEntry
from dingdan.platform.audit_queries import AuditFilter, list_entries
from dingdan.platform.db import Database
from dingdan.platform.errors import InvalidInput
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decode_cursor, encode_cursor
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, AuditRead

router = APIRouter(prefix="/api/v1", tags=["audit"])
Text = Annotated[str | None, Query(max_length=120)]
Day = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD in the shop's time zone")]


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    ip: str
    user_agent: str
    method: str
    path: str
    changes: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


def _day(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("give a date as YYYY-MM-DD", field=field) from exc


def audit_filter(request: Request, params: dict[str, str | None]) -> AuditFilter:
    """The filters of a request (API or page); a bad date or an empty range is a 422."""
    zone = ZoneInfo(request.app.state.settings.time_zone)
    first, last = _day(params.get("from"), "from"), _day(params.get("to"), "to")
    if first and last and last < first:
        raise InvalidInput("`to` is before `from`", field="to")
    return AuditFilter(
        actor=params.get("actor") or None,
        action=params.get("action") or None,
        object_type=params.get("object_type") or None,
        object_id=params.get("object_id") or None,
        since=datetime.combine(first, time(), zone) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), zone) if last else None,
    )


async def audit_page(
    db: Database, wanted: AuditFilter, cursor: str | None, limit: int
) -> tuple[list[AuditEntry], str | None]:
    before_id = decode_cursor(cursor)
    async with db.read() as session:
        rows = list(await list_entries(session, wanted, before_id=before_id, limit=limit))
    return rows, encode_cursor(rows[-1].id) if len(rows) == limit else None


def entry_view(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "method": row.method,
        "path": row.path,
        "changes": row.changes,
    }


@router.get(
    "/audit-log",
    response_model=AuditPage,
    responses=problems(401, 403, 422),
    summary="Staff actions, newest first: who changed what, from which address",
)
async def get_audit_log(
    request: Request,
    db: DB,
    _: AuditRead,
    actor: Annotated[str | None, Query(max_length=130, description="e-mail of a staff member")] = None,
    action: Text = None,
    object_type: Text = None,
    object_id: Text = None,
    since: Annotated[str | None, Query(alias="from", max_length=10, description="first day")] = None,
    to: Day = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> Response:
    params = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "from": since,
        "to": to,
    }
    rows, next_cursor = await audit_page(db, audit_filter(request, params), cursor, limit)
    return json_response({"items": [entry_view(r) for r in rows], "next_cursor": next_cursor})
