"""Shipping a confirmed order, in one parcel or several (split by line and quantity).

The carrier is asked for the parcel first (outside any transaction: it may be a network
call); then one transaction re-checks the order, turns the reservations into stock leaving
the warehouse, stores the parcel and moves the order to partially_shipped or shipped. If
that transaction fails, the carrier's parcel is cancelled again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import service as inventory
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.errors import Conflict, InvalidInput
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import (
    Capability,
    Carrier,
    CarrierRegistry,
    ServiceType,
    ShipmentCreated,
    ShipmentRequest,
    supports,
)
from dingdan.shipping.errors import ShippingError
from dingdan.shipping.rules import TrackingStatus, polling_interval
from dingdan.shipping.schemas import shipment_view
from dingdan.workflows.fulfilment import parcel_request, sync_order_fulfilment

SHIPPABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED})
NUMBER_ATTEMPTS = 1000  # the simulated carrier restarts its numbering after a restart


@dataclass(frozen=True)
class ParcelOrder:
    """What the merchant asks for: a carrier and, optionally, which units go in the parcel
    (default: everything not yet shipped)."""

    carrier: str
    lines: Sequence[tuple[str, int]] | None = None
    tracking_number: str | None = None
    service: ServiceType = ServiceType.HOME_DELIVERY
    pickup_store: str = ""
    warehouse: str | None = None


class UnknownCarrierCode(InvalidInput):
    code = "unknown-carrier"
    title = "No carrier has this code"


class TrackingNumberRequired(InvalidInput):
    code = "tracking-number-required"
    title = "This carrier does not issue tracking numbers; give the one on the label"


class OrderNotShippable(Conflict):
    code = "order-not-shippable"
    title = "The order's status does not allow shipping"


class NothingToShip(Conflict):
    code = "nothing-to-ship"
    title = "Every unit of the order is already in a parcel"


class CarrierUnavailable(Conflict):
    code = "carrier-unavailable"
    title = "The carrier did not accept the parcel"


async def ship_order(
    db: Database, *, number: str, parcel: ParcelOrder, actor: str, carriers: CarrierRegistry
) -> dict[str, Any]:
    carrier = carriers.find(parcel.carrier)
    if carrier is None:
        raise UnknownCarrierCode(
            "no carrier {carrier!r}",
            params={"carrier": parcel.carrier},
            field="carrier",
            known=carriers.list_codes(),
        )
    async with db.read() as session:
        order = await orders.get_order_row(session, number=number)
        quantities, names = await _plan(session, order, parcel)
    request = parcel_request(
        order, quantities, names, service=parcel.service, pickup_store=parcel.pickup_store
    )
    created = await _create_at_carrier(db, carrier, parcel, request)
    try:
        return await db.write(
            record_parcel,
            number=number,
            parcel=parcel,
            created=created,
            actor=actor,
            polled=supports(carrier, Capability.FETCH_TRACKING),
        )
    except Exception:
        if supports(carrier, Capability.CREATE_SHIPMENT):
            with contextlib.suppress(ShippingError):
                await carrier.cancel_shipment(created.tracking_number)
        raise


async def _plan(
    session: AsyncSession, order: RowMapping | Mapping[Any, Any], parcel: ParcelOrder
) -> tuple[dict[str, int], dict[str, str]]:
    """The units per SKU that go in the parcel, and the SKUs' names; refuses what cannot go."""
    if OrderStatus(order["status"]) not in SHIPPABLE:
        raise OrderNotShippable(
            "an order in status {status} cannot be shipped",
            params={"status": order["status"]},
            field="status",
        )
    lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    shipped = await shipping.shipped_quantities(session, order_id=order["id"])
    remaining: dict[str, int] = {}
    for line in lines:
        remaining[line["sku"]] = remaining.get(line["sku"], 0) + line["quantity"]
    for sku, quantity in shipped.items():
        remaining[sku] = remaining.get(sku, 0) - quantity
    wanted = _wanted(parcel.lines, remaining)
    if not wanted:
        raise NothingToShip("every unit of this order is already in a parcel", field="lines")
    return wanted, {line["sku"]: line["product_name"] for line in lines}


def _wanted(asked: Sequence[tuple[str, int]] | None, remaining: Mapping[str, int]) -> dict[str, int]:
    if asked is None:
        return {sku: qty for sku, qty in remaining.items() if qty > 0}
    wanted: dict[str, int] = {}
    for index, (sku, quantity) in enumerate(asked):
        if sku not in remaining:
            raise InvalidInput(
                "the order has no line with SKU {sku!r}", params={"sku": sku}, field=f"/lines/{index}/sku"
            )
        wanted[sku] = wanted.get(sku, 0) + quantity
        if wanted[sku] > remaining[sku]:
            raise InvalidInput(
                "only {left} of {sku} are left to ship",
                params={"left": max(remaining[sku], 0), "sku": sku},
                field=f"/lines/{index}/quantity",
            )
    return wanted


async def _create_at_carrier(
    db: Database, carrier: Carrier, parcel: ParcelOrder, request: ShipmentRequest
) -> ShipmentCreated:
    if not supports(carrier, Capability.CREATE_SHIPMENT):
        if not parcel.tracking_number:
            raise TrackingNumberRequired(
                "{code} needs the label's tracking number",
                params={"code": carrier.code},
                field="tracking_number",
            )
        return ShipmentCreated(carrier.code, parcel.tracking_number, clock.now())
    if parcel.tracking_number:
        raise InvalidInput(
            "{code} issues the tracking number itself", params={"code": carrier.code}, field="tracking_number"
        )
    for _ in range(NUMBER_ATTEMPTS):
        try:
            created = await carrier.create_shipment(request)
        except ShippingError as exc:
            raise CarrierUnavailable(str(exc), field="carrier") from exc
        async with db.read() as session:
            taken = await shipping.tracking_number_taken(
                session, carrier=carrier.code, tracking_number=created.tracking_number
            )
        if not taken:
            return created
    raise CarrierUnavailable("the carrier gave no unused tracking number", field="carrier")


async def record_parcel(
    session: AsyncSession,
    *,
    number: str,
    parcel: ParcelOrder,
    created: ShipmentCreated,
    actor: str,
    polled: bool,
) -> dict[str, Any]:
    order = await orders.get_order_row(session, number=number, for_update=True)
    quantities, _ = await _plan(session, order, parcel)
    taken = await inventory.ship_reserved(
        session, order_ref=number, quantities=quantities, actor=actor, warehouse_code=parcel.warehouse
    )
    interval = polling_interval(TrackingStatus.PENDING)
    shipment = await shipping.insert_shipment(
        session,
        values={
            "order_id": order["id"],
            "order_number": number,
            "carrier": created.carrier,
            "service": parcel.service.value,
            "tracking_number": created.tracking_number,
            "pickup_store": parcel.pickup_store,
            "label_url": created.label_url or "",
            "shipped_at": created.created_at,
            "promised_delivery": created.estimated_delivery,
            "estimated_delivery": created.estimated_delivery,
            "next_poll_at": created.created_at + interval if polled and interval else None,
        },
        lines=[{"sku": a.sku, "warehouse_id": a.warehouse_id, "quantity": a.quantity} for a in taken],
        actor=actor,
    )
    await orders.record_timeline(
        session,
        number,
        "order.parcel_shipped",
        actor,
        shipment_id=shipment["id"],
        tracking_number=created.tracking_number,
        carrier=created.carrier,
        lines=quantities,
    )
    await sync_order_fulfilment(
        session, order_number=number, actor=actor, reason=f"parcel {created.tracking_number}"
    )
    lines = await shipping.list_lines(session, shipment_ids=[shipment["id"]])
    return shipment_view(shipment, lines[shipment["id"]])
