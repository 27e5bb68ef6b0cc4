"""Scheduled parcel work: poll carriers that can be asked, flag parcels that went quiet.

Polling is spaced by the parcel's status (rules.polling_interval) and stops at a final
status; carriers that also push are polled as a fallback, in case a push was lost.
A parcel with no scan for longer than its rule (rules.find_stuck_reason) is flagged once
per rule and gets an exception case; after 30 silent days it is marked expired.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.shipping import exception_cases as cases
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import Capability, TrackingEvent
from dingdan.shipping.errors import ShippingError
from dingdan.shipping.rules import DEFAULT_STUCK_RULES, StuckFinding, TrackingStatus, find_stuck_reason
from dingdan.workflows.carriers import get_carriers
from dingdan.workflows.fulfilment import apply_scans, expired_scan
from dingdan.workflows.track_parcels import with_carrier_memory

log = logging.getLogger(__name__)
BATCH = 200
SHORTEST_RULE = min(rule.after for rule in DEFAULT_STUCK_RULES)
POLL_ACTOR = "system:poll"
STUCK_ACTOR = "system:stuck"


async def poll_carriers(db: Database) -> int:
    """One round: fetch the scans of every parcel whose next poll is due."""
    registry = get_carriers()
    codes = [carrier.code for carrier in registry.list_supporting(Capability.FETCH_TRACKING)]
    now = clock.now()
    async with db.read() as session:
        due = await shipping.list_due_polls(session, now=now, carriers=codes, limit=BATCH)
    for shipment in due:
        carrier = registry.get(shipment["carrier"])
        scans: Sequence[TrackingEvent] = ()
        try:
            scans = await with_carrier_memory(
                db, carrier, shipment, functools.partial(carrier.fetch_tracking, shipment["tracking_number"])
            )
        except ShippingError:
            log.warning("polling %s %s failed; trying again later", carrier.code, shipment["tracking_number"])
        await db.write(_apply_poll, shipment_id=shipment["id"], scans=scans, polled_at=now)
    return len(due)


async def _apply_poll(
    session: AsyncSession, *, shipment_id: int, scans: Sequence[TrackingEvent], polled_at: datetime
) -> None:
    outcome = await apply_scans(session, shipment_id=shipment_id, scans=scans, actor=POLL_ACTOR)
    await shipping.schedule_next_poll(session, shipment=outcome.shipment, polled_at=polled_at)


async def flag_stuck_parcels(db: Database) -> int:
    """One round: flag every live parcel silent for longer than its rule; returns how many."""
    now = clock.now()
    async with db.read() as session:
        silent = await shipping.list_silent(session, silent_since=now - SHORTEST_RULE, limit=BATCH)
    flagged = 0
    for shipment in silent:
        if _finding(shipment, now) is not None:
            flagged += await db.write(_flag_one, shipment_id=shipment["id"], now=now)
    return flagged


def _finding(shipment: dict[str, Any] | Any, now: datetime) -> StuckFinding | None:
    last_heard = shipment["last_scan_at"] or shipment["shipped_at"]
    finding = find_stuck_reason(TrackingStatus(shipment["status"]), last_heard, now, shipment["carrier"])
    if finding is None or finding.rule.code == shipment["stuck_rule"]:
        return None
    return finding


async def _flag_one(session: AsyncSession, *, shipment_id: int, now: datetime) -> int:
    shipment = await shipping.get_shipment(session, shipment_id=shipment_id, for_update=True)
    finding = _finding(shipment, now)  # again, under the lock: a scan may have arrived
    if finding is None:
        return 0
    hours = int(finding.silent_for.total_seconds() // 3600)
    if finding.should_expire:
        why = f"{hours} 小時無物流更新，停止追蹤"
        outcome = await apply_scans(
            session,
            shipment_id=shipment_id,
            scans=[expired_scan(shipment, now, why)],
            actor=STUCK_ACTOR,
            case_kind=cases.CaseKind.STUCK,
        )
        shipment = outcome.shipment
    updated = await shipping.mark_stuck(session, shipment=shipment, rule=finding.rule.code, actor=STUCK_ACTOR)
    case_id = None
    if not finding.should_expire:
        case_id = await cases.open_case(
            session, shipment=updated, kind=cases.CaseKind.STUCK, cause=finding.rule.code, actor=STUCK_ACTOR
        )
    await orders.record_timeline(
        session,
        updated["order_number"],
        "order.parcel_stuck",
        STUCK_ACTOR,
        shipment_id=shipment_id,
        tracking_number=updated["tracking_number"],
        rule=finding.rule.code,
        silent_hours=hours,
        case_id=case_id,
    )
    return 1
