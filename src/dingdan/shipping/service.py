"""Shipping entry points: parcels, their scans and what the scans do to them.

Scans are inserted under their unique dedupe key with ON CONFLICT DO NOTHING, so a replayed
or full-history push adds nothing and changes nothing; only the scans that were new are
applied to the parcel, through rules.apply_event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import RowMapping, Table, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.platform import clock, events, retention
from dingdan.shipping import events as topics
from dingdan.shipping.adapters.base import ParsedPush, TrackingEvent
from dingdan.shipping.errors import ShipmentNotFound, TrackingNumberTaken
from dingdan.shipping.models import PushReceipt, Shipment, ShipmentLine, TrackingEventRow
from dingdan.shipping.rules import (
    TERMINAL_STATUSES,
    TrackingReason,
    TrackingStatus,
    apply_event,
    is_terminal,
    next_poll_at,
)

SHIPMENTS = cast(Table, Shipment.__table__)
SHIPMENT_LINES = cast(Table, ShipmentLine.__table__)
SCANS = cast(Table, TrackingEventRow.__table__)
NOT_COLLECTED = frozenset({TrackingStatus.PENDING, TrackingStatus.INFO_RECEIVED})


@dataclass(frozen=True)
class StatusChange:
    from_status: TrackingStatus
    to_status: TrackingStatus
    reason: TrackingReason | None
    at: datetime | None


@dataclass(frozen=True)
class ScanOutcome:
    shipment: dict[str, Any]
    new_scans: int
    change: StatusChange | None
    kept: tuple[TrackingEvent, ...] = ()  # the new scans, oldest first


def _insert_ignoring(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def accept_push(session: AsyncSession, *, push: ParsedPush, push_id: str) -> bool:
    """Records a verified push as received and queues its processing (an outbox event, in this
    same transaction); False for a replay, which changes nothing."""
    claimed = await session.execute(
        _insert_ignoring(session)(PushReceipt)
        .values(
            carrier=push.carrier,
            push_id=push_id,
            tracking_number=push.tracking_number[:64],
            received_at=clock.now(),
        )
        .on_conflict_do_nothing()
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return False
    body = {"push": push.to_payload()}
    events.record(session, events.Event(topics.PUSH_RECEIVED, "carrier_push", push.carrier, body))
    return True


async def forget_pushes_before(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Deletes at most `limit` push receipts received before `before`, oldest first."""
    return await retention.delete_oldest(
        session,
        cast(Table, PushReceipt.__table__),
        key=("carrier", "push_id"),
        stamp="received_at",
        before=before,
        limit=limit,
    )


async def tracking_number_taken(session: AsyncSession, *, carrier: str, tracking_number: str) -> bool:
    found = await session.scalar(
        select(SHIPMENTS.c.id).where(
            SHIPMENTS.c.carrier == carrier, SHIPMENTS.c.tracking_number == tracking_number
        )
    )
    return found is not None


async def insert_shipment(
    session: AsyncSession, *, values: Mapping[Any, Any], lines: Sequence[Mapping[Any, Any]], actor: str
) -> dict[str, Any]:
    """Store a new parcel and its lines; the tracking number must be new for its carrier."""
    if await tracking_number_taken(
        session, carrier=values["carrier"], tracking_number=values["tracking_number"]
    ):
        raise TrackingNumberTaken(
            "{carrier} parcel {tracking_number} exists already",
            params={"carrier": values["carrier"], "tracking_number": values["tracking_number"]},
            field="tracking_number",
        )
    at = clock.now()
    row = {
        "status": TrackingStatus.PENDING.value,
        "route": [],
        "created_by": actor,
        "updated_at": at,
        **values,
    }
    shipment_id = await session.scalar(insert(SHIPMENTS).values(row).returning(SHIPMENTS.c.id))
    await session.execute(
        insert(SHIPMENT_LINES).values([{**line, "shipment_id": shipment_id} for line in lines])
    )
    shipment = await get_shipment(session, shipment_id=cast(int, shipment_id))
    _record(session, topics.SHIPMENT_CREATED, shipment, actor, order=shipment["order_number"])
    return shipment


def _record(
    session: AsyncSession, topic: str, shipment: Mapping[Any, Any], actor: str, **payload: Any
) -> None:
    body = {"tracking_number": shipment["tracking_number"], "carrier": shipment["carrier"], **payload}
    events.record(session, events.Event(topic, "shipment", str(shipment["id"]), body, actor=actor))


async def get_shipment(
    session: AsyncSession, *, shipment_id: int, for_update: bool = False
) -> dict[str, Any]:
    stmt = select(SHIPMENTS).where(SHIPMENTS.c.id == shipment_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    if row is None:
        raise ShipmentNotFound("no shipment {shipment_id}", params={"shipment_id": shipment_id}, field="id")
    return dict(row)


async def find_by_tracking(session: AsyncSession, *, carrier: str, tracking_number: str) -> RowMapping | None:
    stmt = select(SHIPMENTS).where(
        SHIPMENTS.c.carrier == carrier, SHIPMENTS.c.tracking_number == tracking_number
    )
    return (await session.execute(stmt)).mappings().first()


async def list_for_order(session: AsyncSession, *, order_id: int) -> list[RowMapping]:
    stmt = select(SHIPMENTS).where(SHIPMENTS.c.order_id == order_id).order_by(SHIPMENTS.c.id)
    return list((await session.execute(stmt)).mappings())


async def list_lines(session: AsyncSession, *, shipment_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
    by_shipment: dict[int, list[RowMapping]] = {sid: [] for sid in shipment_ids}
    if shipment_ids:
        stmt = (
            select(SHIPMENT_LINES)
            .where(SHIPMENT_LINES.c.shipment_id.in_(shipment_ids))
            .order_by(SHIPMENT_LINES.c.id)
        )
        for row in (await session.execute(stmt)).mappings():
            by_shipment[row["shipment_id"]].append(row)
    return by_shipment


async def list_scans(session: AsyncSession, *, shipment_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
    """Each parcel's scans, oldest first."""
    by_shipment: dict[int, list[RowMapping]] = {sid: [] for sid in shipment_ids}
    if shipment_ids:
        stmt = (
            select(SCANS)
            .where(SCANS.c.shipment_id.in_(shipment_ids))
            .order_by(SCANS.c.shipment_id, SCANS.c.occurred_at, SCANS.c.id)
        )
        for row in (await session.execute(stmt)).mappings():
            by_shipment[row["shipment_id"]].append(row)
    return by_shipment


async def shipped_quantities(session: AsyncSession, *, order_id: int) -> dict[str, int]:
    """Units per SKU in the order's parcels that were not cancelled."""
    stmt = (
        select(SHIPMENT_LINES.c.sku, func.sum(SHIPMENT_LINES.c.quantity))
        .join(SHIPMENTS, SHIPMENTS.c.id == SHIPMENT_LINES.c.shipment_id)
        .where(SHIPMENTS.c.order_id == order_id, SHIPMENTS.c.status != TrackingStatus.CANCELLED.value)
        .group_by(SHIPMENT_LINES.c.sku)
    )
    return {sku: int(total) for sku, total in await session.execute(stmt)}


async def record_scans(
    session: AsyncSession,
    *,
    shipment: Mapping[Any, Any],
    scans: Sequence[TrackingEvent],
    actor: str,
    estimated_delivery: datetime | None = None,
) -> ScanOutcome:
    """Keep the scans not seen before and apply them to the parcel (lock it first)."""
    new = await _insert_new_scans(session, shipment["id"], scans)
    if not new and estimated_delivery in (None, shipment["estimated_delivery"]):
        return ScanOutcome(dict(shipment), 0, None)
    values = _decide(shipment, new)
    if estimated_delivery is not None:
        values["estimated_delivery"] = estimated_delivery
    if new:
        values["route"] = await _route(session, shipment["id"])
    updated = await _update(session, shipment, values)
    change = None
    if updated["status"] != shipment["status"]:
        change = StatusChange(
            TrackingStatus(shipment["status"]),
            TrackingStatus(updated["status"]),
            TrackingReason(updated["reason"]) if updated["reason"] else None,
            updated["status_event_at"],
        )
        _record(
            session,
            topics.PARCEL_STATUS_CHANGED,
            updated,
            actor,
            order=updated["order_number"],
            from_status=change.from_status.value,
            to_status=change.to_status.value,
            reason=updated["reason"],
        )
    return ScanOutcome(updated, len(new), change, tuple(new))


async def _insert_new_scans(
    session: AsyncSession, shipment_id: int, scans: Sequence[TrackingEvent]
) -> list[TrackingEvent]:
    unique = {scan.dedupe_key: scan for scan in scans}
    if not unique:
        return []
    at = clock.now()
    rows = [
        {
            "shipment_id": shipment_id,
            "dedupe_key": key,
            "occurred_at": scan.occurred_at,
            "status": scan.status.value,
            "reason": scan.reason.value if scan.reason else None,
            "description": scan.description[:500],
            "location_text": scan.location_text[:200],
            "city": scan.city[:60],
            "postal_code": scan.postal_code[:12],
            "raw_code": scan.raw_code[:64],
            "source": scan.source.value,
            "received_at": at,
        }
        for key, scan in unique.items()
    ]
    stmt = _insert_ignoring(session)(SCANS).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
    inserted = set((await session.execute(stmt.returning(SCANS.c.dedupe_key))).scalars())
    return sorted((unique[key] for key in inserted), key=lambda scan: scan.occurred_at)


def _decide(shipment: Mapping[Any, Any], new: Sequence[TrackingEvent]) -> dict[str, Any]:
    status = TrackingStatus(shipment["status"])
    reason = TrackingReason(shipment["reason"]) if shipment["reason"] else None
    status_at, raw_code = shipment["status_event_at"], shipment["raw_code"]
    for scan in new:
        decision = apply_event(status, status_at, scan, current_reason=reason)
        if decision.applied:
            status, reason, status_at, raw_code = (
                decision.status,
                decision.reason,
                decision.last_event_at,
                scan.raw_code,
            )
    values: dict[str, Any] = {
        "status": status.value,
        "reason": reason.value if reason else None,
        "status_event_at": status_at,
        "raw_code": raw_code,
    }
    if new:
        newest = new[-1]
        last = shipment["last_scan_at"]
        if last is None or newest.occurred_at >= last:
            values |= {
                "last_scan_at": newest.occurred_at,
                "current_location": newest.location_text[:200],
                "current_city": newest.city[:60],
                "stuck_rule": None,
            }
    if status is TrackingStatus.DELIVERED:
        values["delivered_at"] = status_at
    if is_terminal(status):
        values["next_poll_at"] = None
    return values


async def _route(session: AsyncSession, shipment_id: int) -> list[str]:
    """The places the parcel passed, in order, each once per visit."""
    stmt = (
        select(SCANS.c.location_text)
        .where(SCANS.c.shipment_id == shipment_id, SCANS.c.location_text != "")
        .order_by(SCANS.c.occurred_at, SCANS.c.id)
    )
    route: list[str] = []
    for place in (await session.execute(stmt)).scalars():
        if not route or route[-1] != place:
            route.append(place)
    return route


async def _update(
    session: AsyncSession, shipment: Mapping[Any, Any], values: Mapping[Any, Any]
) -> dict[str, Any]:
    changed = {**values, "updated_at": clock.now()}
    await session.execute(update(SHIPMENTS).where(SHIPMENTS.c.id == shipment["id"]).values(changed))
    return {**shipment, **changed}


async def schedule_next_poll(
    session: AsyncSession, *, shipment: Mapping[Any, Any], polled_at: datetime
) -> None:
    due = next_poll_at(TrackingStatus(shipment["status"]), polled_at)
    await session.execute(update(SHIPMENTS).where(SHIPMENTS.c.id == shipment["id"]).values(next_poll_at=due))


async def mark_stuck(
    session: AsyncSession, *, shipment: Mapping[Any, Any], rule: str, actor: str
) -> dict[str, Any]:
    updated = await _update(session, shipment, {"stuck_rule": rule})
    _record(session, topics.PARCEL_STUCK, updated, actor, order=updated["order_number"], rule=rule)
    return updated


async def list_due_polls(
    session: AsyncSession, *, now: datetime, carriers: Sequence[str], limit: int
) -> list[RowMapping]:
    stmt = (
        select(SHIPMENTS)
        .where(
            SHIPMENTS.c.next_poll_at <= now,
            SHIPMENTS.c.carrier.in_(carriers),
            SHIPMENTS.c.status.not_in([s.value for s in TERMINAL_STATUSES]),
        )
        .order_by(SHIPMENTS.c.next_poll_at)
        .limit(limit)
    )
    return list((await session.execute(stmt)).mappings())


async def list_silent(
    session: AsyncSession, *, silent_since: datetime, limit: int, skip_rules: Sequence[str] = ()
) -> list[RowMapping]:
    """Live parcels with no scan (or, without any scan, no shipping) since `silent_since`."""
    last_heard = func.coalesce(SHIPMENTS.c.last_scan_at, SHIPMENTS.c.shipped_at)
    stmt = (
        select(SHIPMENTS)
        .where(
            last_heard < silent_since,
            SHIPMENTS.c.status.not_in([s.value for s in TERMINAL_STATUSES]),
            or_(SHIPMENTS.c.stuck_rule.is_(None), SHIPMENTS.c.stuck_rule.not_in(skip_rules)),
        )
        .order_by(last_heard, SHIPMENTS.c.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).mappings())
