"""Scans reaching parcels: carrier pushes, cancelling a parcel, the simulated carrier's memory.

A push is verified by its carrier adapter before anything is read from it: a bad signature
changes nothing. A verified push is recorded (deduped by the carrier's event id or the body's
digest) and answered; the event relay then applies its scans through fulfilment.apply_scans,
where dedupe keys make full-history resends add nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError, Unauthorized
from dingdan.platform.events import Event
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import (
    Capability,
    Carrier,
    ParsedPush,
    PushReply,
    ServiceType,
    TrackingEvent,
    TrackingSource,
    supports,
)
from dingdan.shipping.adapters.sim import SimCarrier
from dingdan.shipping.errors import (
    CarrierRefused,
    ParcelAlreadyCollected,
    PushMalformed,
    PushRejected,
    UnknownShipment,
)
from dingdan.shipping.rules import TrackingStatus, push_receipt_id
from dingdan.shipping.schemas import shipment_view
from dingdan.workflows.fulfilment import apply_scans, expired_scan, parcel_request
from dingdan.workflows.webhook_intake import record_delivery

log = logging.getLogger(__name__)
T = TypeVar("T")
CANCELLED_CODE = "DINGDAN-CANCELLED"


class PushNotAuthentic(Unauthorized):
    code = "push-rejected"
    title = "The push is not signed by the carrier"


class PushUnreadable(DomainError):
    code = "push-malformed"
    status = 400
    title = "The push is signed but cannot be read"


async def ingest_push(
    db: Database, *, carrier: Carrier, headers: Mapping[str, str], body: bytes
) -> PushReply:
    """Verify a carrier's push and record it for processing in one short transaction; returns
    the answer for the carrier. A replay is answered the same and changes nothing."""
    try:
        parsed = carrier.parse_push(headers, body, clock.now())
    except PushRejected as exc:
        raise PushNotAuthentic("push refused: {why}", params={"why": exc.why}) from exc
    except PushMalformed as exc:
        raise PushUnreadable(str(exc), field="body") from exc
    push_id = push_receipt_id(parsed.provider_event_id, body)
    await record_delivery(db, partial(shipping.accept_push, push=parsed, push_id=push_id))
    return carrier.push_reply()


async def process_push(session: AsyncSession, received: Event) -> None:
    """Subscriber of shipping.push_received: keep and apply the scans the push carries."""
    parsed = ParsedPush.from_payload(received.payload["push"])
    shipment_id, _ = await _apply_push(session, parsed=parsed, carrier_code=parsed.carrier)
    if shipment_id is None:
        log.info("push from %s for unknown parcel %s ignored", parsed.carrier, parsed.tracking_number)


async def _apply_push(
    session: AsyncSession, *, parsed: ParsedPush, carrier_code: str
) -> tuple[int | None, int]:
    tracking_number = parsed.tracking_number.strip().upper()
    shipment = await shipping.find_by_tracking(session, carrier=carrier_code, tracking_number=tracking_number)
    if shipment is None:
        return None, 0
    scans = list(parsed.events)
    if parsed.provider_gave_up:
        # Dated at the last scan, so a replay of the same push gives the same scan.
        at = max((scan.occurred_at for scan in scans), default=shipment["shipped_at"])
        scans.append(
            expired_scan(shipment, at, f"{carrier_code} stopped tracking {parsed.provider_message}".strip())
        )
    outcome = await apply_scans(
        session,
        shipment_id=shipment["id"],
        scans=scans,
        actor=f"carrier:{carrier_code}",
        estimated_delivery=parsed.estimated_delivery,
    )
    return shipment["id"], outcome.new_scans


def refuse_if_collected(shipment: Mapping[Any, Any]) -> None:
    if TrackingStatus(shipment["status"]) not in shipping.NOT_COLLECTED:
        raise ParcelAlreadyCollected(
            "parcel {tracking_number} is {status}; it can no longer be cancelled",
            params={"tracking_number": shipment["tracking_number"], "status": shipment["status"]},
            field="status",
        )


async def cancel_parcel(
    db: Database, *, shipment_id: int, actor: str, reason: str, carrier: Carrier | None
) -> dict[str, Any]:
    """Cancel a parcel the carrier has not collected; its units go back to the order's
    reservation (see fulfilment._put_back) and the order's fulfillment_status follows."""
    async with db.read() as session:
        shipment = await shipping.get_shipment(session, shipment_id=shipment_id)
    refuse_if_collected(shipment)
    if carrier is not None and supports(carrier, Capability.CANCEL_SHIPMENT):
        try:
            scan = await with_carrier_memory(
                db, carrier, shipment, lambda: carrier.cancel_shipment(shipment["tracking_number"])
            )
        except CarrierRefused as exc:
            raise ParcelAlreadyCollected(str(exc), field="status") from exc
    else:
        scan = _manual_cancellation(shipment, clock.now())
    return await db.write(_record_cancel, shipment_id=shipment_id, scan=scan, actor=actor, reason=reason)


def _manual_cancellation(shipment: Mapping[Any, Any], at: datetime) -> TrackingEvent:
    return TrackingEvent(
        carrier=shipment["carrier"],
        tracking_number=shipment["tracking_number"],
        occurred_at=at,
        status=TrackingStatus.CANCELLED,
        source=TrackingSource.MANUAL,
        description="託運單已取消",
        raw_code=CANCELLED_CODE,
    )


async def _record_cancel(
    session: AsyncSession, *, shipment_id: int, scan: TrackingEvent, actor: str, reason: str
) -> dict[str, Any]:
    shipment = await shipping.get_shipment(session, shipment_id=shipment_id, for_update=True)
    refuse_if_collected(shipment)
    outcome = await apply_scans(session, shipment_id=shipment_id, scans=[scan], actor=actor)
    await orders.record_timeline(
        session,
        shipment["order_number"],
        "order.parcel_cancelled",
        actor,
        shipment_id=shipment_id,
        tracking_number=shipment["tracking_number"],
        reason=reason,
    )
    lines = await shipping.list_lines(session, shipment_ids=[shipment_id])
    return shipment_view(outcome.shipment, lines[shipment_id])


async def with_carrier_memory(
    db: Database, carrier: Carrier, shipment: Mapping[Any, Any], call: Callable[[], Awaitable[T]]
) -> T:
    """Run `call`; if the simulated carrier forgot the parcel (a restart), replay its plan first."""
    try:
        return await call()
    except UnknownShipment:
        if not isinstance(carrier, SimCarrier):
            raise
    await restore_sim_parcel(db, carrier, shipment)
    return await call()


async def restore_sim_parcel(db: Database, carrier: SimCarrier, shipment: Mapping[Any, Any]) -> None:
    """The sim plans a journey from the request and creation time; rebuild both from the rows."""
    async with db.read() as session:
        order = await orders.get_order_row(session, number=shipment["order_number"])
        order_lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
        parcel_lines = (await shipping.list_lines(session, shipment_ids=[shipment["id"]]))[shipment["id"]]
    quantities: dict[str, int] = {}
    for line in parcel_lines:
        quantities[line["sku"]] = quantities.get(line["sku"], 0) + line["quantity"]
    names = {line["sku"]: line["product_name"] for line in order_lines}
    request = parcel_request(
        order,
        quantities,
        names,
        service=ServiceType(shipment["service"]),
        pickup_store=shipment["pickup_store"],
    )
    carrier.restore(shipment["tracking_number"], request, shipment["shipped_at"])
