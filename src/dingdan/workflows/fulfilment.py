"""What parcels do to their order: scans move a parcel, parcel states drive the order.

`apply_scans` is the one way scans reach a parcel, whether they come from a push, a poll,
a cancellation or the stuck-parcel job: new scans are kept and applied, and a status
change is written to the order's timeline, opens an exception case for a problem, puts
the stock back when a parcel is cancelled before collection, and moves the order along
(first parcel out -> partially_shipped/shipped, all delivered -> delivered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import service as inventory
from dingdan.inventory.rules import Allocation
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus, can_transition
from dingdan.platform.settings import get_settings
from dingdan.shipping import exception_cases as cases
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import (
    Address,
    ParcelItem,
    ServiceType,
    ShipmentRequest,
    TrackingEvent,
    TrackingSource,
)
from dingdan.shipping.rules import FulfilmentStatus, TrackingStatus, order_fulfilment_status

S = OrderStatus
ORDER_PATH = [S.CONFIRMED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED]
ORDER_STATUS_FOR = {
    FulfilmentStatus.UNFULFILLED: S.CONFIRMED,
    FulfilmentStatus.PARTIALLY_SHIPPED: S.PARTIALLY_SHIPPED,
    FulfilmentStatus.SHIPPED: S.SHIPPED,
    FulfilmentStatus.DELIVERED: S.DELIVERED,
}
PROBLEM_STATUSES = {
    TrackingStatus.EXCEPTION: "exception",
    TrackingStatus.RETURNING: "returning",
    TrackingStatus.RETURNED: "returned",
    TrackingStatus.EXPIRED: "expired",
}
EXPIRED_CODE = "DINGDAN-EXPIRED"


def parcel_request(
    order: Mapping[Any, Any],
    quantities: Mapping[str, int],
    names: Mapping[str, str],
    *,
    service: ServiceType,
    pickup_store: str = "",
) -> ShipmentRequest:
    """What the carrier is told about a parcel; the same inputs always give the same request."""
    settings = get_settings()
    street = f"{order['ship_line1']} {order['ship_line2']}".strip()
    return ShipmentRequest(
        reference=order["number"],
        service=service,
        recipient=Address(
            name=order["ship_recipient"],
            phone=order["ship_phone"],
            city=order["ship_city"],
            street=street,
            district=order["ship_district"],
            postal_code=order["ship_postal_code"],
        ),
        sender=Address(
            name=settings.shop_name,
            phone=settings.ship_from_phone,
            city=settings.ship_from_city,
            street=settings.ship_from_address,
            district=settings.ship_from_district,
        ),
        items=tuple(ParcelItem(sku, names.get(sku, sku), qty) for sku, qty in sorted(quantities.items())),
        pickup_store_name=pickup_store or None,
        remarks=order["note"],
    )


def expired_scan(shipment: Mapping[Any, Any], at: datetime, why: str) -> TrackingEvent:
    """dingdan's own final word on a parcel nobody reports on any more."""
    return TrackingEvent(
        carrier=shipment["carrier"],
        tracking_number=shipment["tracking_number"],
        occurred_at=at,
        status=TrackingStatus.EXPIRED,
        source=TrackingSource.MANUAL,
        description=why,
        raw_code=EXPIRED_CODE,
    )


async def apply_scans(
    session: AsyncSession,
    *,
    shipment_id: int,
    scans: Sequence[TrackingEvent],
    actor: str,
    estimated_delivery: datetime | None = None,
    case_kind: cases.CaseKind = cases.CaseKind.CARRIER,
) -> shipping.ScanOutcome:
    shipment = await shipping.get_shipment(session, shipment_id=shipment_id, for_update=True)
    outcome = await shipping.record_scans(
        session, shipment=shipment, scans=scans, actor=actor, estimated_delivery=estimated_delivery
    )
    causes = _problem_causes(outcome.kept)
    if outcome.change is not None:
        await _react(session, outcome.shipment, outcome.change, actor, case_kind, causes)
    elif causes:
        await _open_cases(session, outcome.shipment, causes, actor, case_kind)
    return outcome


def _problem_causes(scans: Sequence[TrackingEvent]) -> list[str]:
    """The problems the new scans report, whether or not they set the parcel's status: a
    problem scan arriving after a later scan (or inside one full-history push) opens the same
    case as when it comes alone and in time."""
    causes = []
    for scan in scans:
        if scan.status in PROBLEM_STATUSES:
            cause = scan.reason.value if scan.reason else PROBLEM_STATUSES[scan.status]
            if cause not in causes:
                causes.append(cause)
    return causes


async def _react(
    session: AsyncSession,
    shipment: Mapping[Any, Any],
    change: shipping.StatusChange,
    actor: str,
    case_kind: cases.CaseKind,
    causes: Sequence[str],
) -> None:
    number, tracking_number = shipment["order_number"], shipment["tracking_number"]
    await orders.record_timeline(
        session,
        number,
        "order.parcel_status",
        actor,
        shipment_id=shipment["id"],
        tracking_number=tracking_number,
        parcel_from=change.from_status.value,
        parcel_to=change.to_status.value,
        parcel_reason=change.reason.value if change.reason else None,
    )
    if change.to_status is TrackingStatus.CANCELLED and change.from_status in shipping.NOT_COLLECTED:
        await _put_back(session, shipment, actor)
    await _open_cases(session, shipment, causes, actor, case_kind)
    await sync_order_fulfilment(session, order_number=number, actor=actor, reason=f"parcel {tracking_number}")


async def _open_cases(
    session: AsyncSession,
    shipment: Mapping[Any, Any],
    causes: Sequence[str],
    actor: str,
    case_kind: cases.CaseKind,
) -> None:
    for cause in causes:
        case_id = await cases.open_case(session, shipment=shipment, kind=case_kind, cause=cause, actor=actor)
        if case_id is not None:
            await orders.record_timeline(
                session,
                shipment["order_number"],
                "order.parcel_exception",
                actor,
                case_id=case_id,
                cause=cause,
                tracking_number=shipment["tracking_number"],
            )


async def _put_back(session: AsyncSession, shipment: Mapping[Any, Any], actor: str) -> None:
    lines = (await shipping.list_lines(session, shipment_ids=[shipment["id"]]))[shipment["id"]]
    await inventory.unship(
        session,
        order_ref=shipment["order_number"],
        allocations=[Allocation(ln["sku"], ln["warehouse_id"], ln["quantity"]) for ln in lines],
        actor=actor,
        reason=f"parcel {shipment['tracking_number']} cancelled",
    )


async def sync_order_fulfilment(
    session: AsyncSession, *, order_number: str, actor: str, reason: str
) -> dict[str, Any]:
    """Bring the order's status and fulfillment_status in line with its parcels."""
    order = await orders.get_order_row(session, number=order_number, for_update=True)
    parcels = await shipping.list_for_order(session, order_id=order["id"])
    shipped = await shipping.shipped_quantities(session, order_id=order["id"])
    lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    ordered: dict[str, int] = {}
    for line in lines:
        ordered[line["sku"]] = ordered.get(line["sku"], 0) + line["quantity"]
    fulfilment = order_fulfilment_status(
        (TrackingStatus(p["status"]) for p in parcels),
        all_items_in_parcels=all(shipped.get(sku, 0) >= qty for sku, qty in ordered.items()),
    )
    changes = {"fulfillment_status": fulfilment.value}
    current: dict[str, Any] = dict(order)
    target = ORDER_STATUS_FOR.get(fulfilment)
    while target is not None and (step := _next_step(S(current["status"]), target)) is not None:
        current = await orders.transition(
            session, order=current, to=step, actor=actor, reason=reason, changes=changes
        )
    if current["fulfillment_status"] != fulfilment.value:
        current = await orders.update_fields(session, order=current, values=changes)
    return current


def _next_step(current: OrderStatus, target: OrderStatus) -> OrderStatus | None:
    """The furthest status towards `target` the state machine allows from `current`. Moving
    back (parcels cancelled before collection) is one direct step, which the machine allows
    only from partially_shipped/shipped; a delivered order never moves back."""
    if current not in ORDER_PATH or current == target:
        return None
    if ORDER_PATH.index(target) < ORDER_PATH.index(current):
        return target if can_transition(current, target) else None
    ahead = ORDER_PATH[ORDER_PATH.index(current) + 1 : ORDER_PATH.index(target) + 1]
    return next((step for step in reversed(ahead) if can_transition(current, step)), None)
