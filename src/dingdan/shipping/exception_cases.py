"""Exception cases (物流異常): one per parcel problem, worked by the merchant from a queue.

A case names its cause, what the customer is told, the actions taken (contact the carrier,
reship, refund or compensate through after-sales), the owner and the resolution; every
change is an event on the case's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import RowMapping, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.platform import clock, events
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE
from dingdan.shipping import events as topics
from dingdan.shipping.errors import CaseChangeRefused, ExceptionCaseNotFound
from dingdan.shipping.labels import customer_notice
from dingdan.shipping.models import ExceptionCase

CASES = cast(Table, ExceptionCase.__table__)


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class CaseKind(StrEnum):
    CARRIER = "carrier"  # a scan reported the problem
    STUCK = "stuck"  # no scan for longer than the parcel's rule


class CaseAction(StrEnum):
    CONTACT_CARRIER = "contact_carrier"
    CONTACT_CUSTOMER = "contact_customer"
    RESHIP = "reship"
    REFUND = "refund"
    COMPENSATE = "compensate"
    NOTE = "note"


LIVE = (CaseStatus.OPEN.value, CaseStatus.IN_PROGRESS.value)


async def open_case(
    session: AsyncSession, *, shipment: Mapping[Any, Any], kind: CaseKind, cause: str, actor: str
) -> int | None:
    """Open a case for the parcel, unless one for the same cause is still being worked."""
    already = await session.scalar(
        select(CASES.c.id).where(
            CASES.c.shipment_id == shipment["id"], CASES.c.cause == cause, CASES.c.status.in_(LIVE)
        )
    )
    if already is not None:
        return None
    at = clock.now()
    case_id = await session.scalar(
        insert(CASES)
        .values(
            shipment_id=shipment["id"],
            order_number=shipment["order_number"],
            tracking_number=shipment["tracking_number"],
            kind=kind.value,
            cause=cause,
            status=CaseStatus.OPEN.value,
            customer_message=customer_notice(cause),
            actions=[],
            resolution="",
            opened_at=at,
            updated_at=at,
            version=1,
        )
        .returning(CASES.c.id)
    )
    payload = {
        "shipment_id": shipment["id"],
        "order": shipment["order_number"],
        "kind": kind.value,
        "cause": cause,
    }
    events.record(
        session, events.Event(topics.CASE_OPENED, "exception_case", str(case_id), payload, actor=actor)
    )
    return cast(int, case_id)


async def get_case(session: AsyncSession, *, case_id: int, for_update: bool = False) -> RowMapping:
    stmt = select(CASES).where(CASES.c.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    if row is None:
        raise ExceptionCaseNotFound("no exception case {case_id}", params={"case_id": case_id}, field="id")
    return row


async def list_cases(
    session: AsyncSession,
    *,
    statuses: list[CaseStatus] | None = None,
    order_number: str | None = None,
    after_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> list[RowMapping]:
    """Newest first."""
    stmt = select(CASES).order_by(CASES.c.id.desc()).limit(limit)
    if statuses:
        stmt = stmt.where(CASES.c.status.in_([s.value for s in statuses]))
    if order_number:
        stmt = stmt.where(CASES.c.order_number == order_number)
    if after_id:
        stmt = stmt.where(CASES.c.id < after_id)
    return list((await session.execute(stmt)).mappings())


async def update_case(
    session: AsyncSession,
    *,
    case_id: int,
    changes: Mapping[Any, Any],
    action: Mapping[str, str] | None,
    actor: str,
) -> dict[str, Any]:
    """Apply the merchant's changes: status, owner, customer message, resolution, an action."""
    case = await get_case(session, case_id=case_id, for_update=True)
    at = clock.now()
    values: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
    _check_status_change(case, values)
    if values.get("status") == CaseStatus.RESOLVED.value:
        values["resolved_at"] = at
    elif "status" in values:
        values["resolved_at"] = None
    if action is not None:
        values["actions"] = [*case["actions"], {**action, "actor": actor, "at": at.isoformat()}]
    values |= {"updated_at": at, "version": case["version"] + 1}
    await session.execute(update(CASES).where(CASES.c.id == case_id).values(values))
    logged = {k: v for k, v in values.items() if k in {"status", "owner", "resolution", "customer_message"}}
    payload = {**logged, "action": dict(action) if action else None}
    events.record(
        session, events.Event(topics.CASE_UPDATED, "exception_case", str(case_id), payload, actor=actor)
    )
    return {**case, **values}


def _check_status_change(case: Mapping[Any, Any], values: Mapping[Any, Any]) -> None:
    if values.get("status") != CaseStatus.RESOLVED.value:
        return
    if not (values.get("resolution") or case["resolution"]):
        raise CaseChangeRefused("say how the case was resolved", field="resolution")


async def list_case_timeline(session: AsyncSession, *, case_id: int) -> list[events.Event]:
    return await events.list_for(session, "exception_case", str(case_id))
