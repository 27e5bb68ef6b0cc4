"""What the console shows of an order's parcels, and what its ship form offers.

Status words are the public tracking page's msgids (tracking.po), so a parcel reads the
same to the merchant and to the customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import service as inventory
from dingdan.orders.states import OrderStatus
from dingdan.shipping import exception_cases as cases
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import Capability, supports
from dingdan.shipping.rules import TrackingStatus
from dingdan.web.pages.track import PARCEL_STATUS_TEXT
from dingdan.workflows.carriers import get_carriers

PARCEL_TONE = {
    "pending": "muted",
    "info_received": "muted",
    "picked_up": "info",
    "in_transit": "info",
    "out_for_delivery": "info",
    "available_for_pickup": "info",
    "delivery_failed": "warn",
    "delivered": "ok",
    "exception": "warn",
    "returning": "warn",
    "returned": "muted",
    "cancelled": "muted",
    "expired": "warn",
}
# Why an exception case was opened: a scan's reason, a problem status or a stuck rule.
CAUSES = {
    "address_issue": "Address problem",
    "recipient_unavailable": "Recipient not available",
    "business_closed": "Business closed",
    "refused": "Refused by the recipient",
    "customer_moved": "Recipient moved",
    "customs": "Held at customs",
    "delayed": "Delayed",
    "weather": "Delayed by weather",
    "damaged": "Damaged",
    "lost": "Lost",
    "destroyed": "Destroyed",
    "held_by_carrier": "Held by the carrier",
    "pickup_not_collected": "Not collected from the store",
    "invalid_number": "Tracking number not recognised",
    "exception": "Problem reported by the carrier",
    "returning": "Returning to the shop",
    "returned": "Returned to the shop",
    "expired": "Tracking stopped",
    "not_picked_up": "Not picked up by the carrier",
    "no_movement": "No movement in transit",
    "not_delivered": "Out for delivery too long",
    "not_collected": "Waiting at the store too long",
    "problem_unresolved": "Problem not resolved by the carrier",
    "return_stalled": "Return not moving",
}
SHIPPABLE = {OrderStatus.CONFIRMED.value, OrderStatus.PARTIALLY_SHIPPED.value}


def carrier_options() -> list[dict[str, Any]]:
    """Carriers a parcel can be handed to: those that issue numbers and those that only track."""
    registry = get_carriers()
    return [
        {
            "code": code,
            "name": registry.get(code).display_name,
            "issues_numbers": supports(registry.get(code), Capability.CREATE_SHIPMENT),
        }
        for code in registry.list_codes()
    ]


def carrier_names() -> dict[str, str]:
    return {option["code"]: option["name"] for option in carrier_options()}


def remaining_units(
    order_lines: Sequence[Mapping[Any, Any]], shipped: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Each SKU of the order with the units not yet in a live parcel."""
    left: dict[str, dict[str, Any]] = {}
    for line in order_lines:
        entry = left.setdefault(line["sku"], {"sku": line["sku"], "name": line["product_name"], "left": 0})
        entry["left"] += line["quantity"]
    for sku, quantity in shipped.items():
        if sku in left:
            left[sku]["left"] -= quantity
    return [entry for entry in left.values() if entry["left"] > 0]


async def load_parcels(session: AsyncSession, *, order_id: int) -> list[dict[str, Any]]:
    parcels = await shipping.list_for_order(session, order_id=order_id)
    ids = [p["id"] for p in parcels]
    lines = await shipping.list_lines(session, shipment_ids=ids)
    scans = await shipping.list_scans(session, shipment_ids=ids)
    return [
        {
            **parcel,
            "lines": lines[parcel["id"]],
            "scans": list(reversed(scans[parcel["id"]])),
            "cancellable": TrackingStatus(parcel["status"]) in shipping.NOT_COLLECTED,
        }
        for parcel in parcels
    ]


async def shipping_context(
    session: AsyncSession, *, order: Mapping[Any, Any], order_lines: Sequence[Mapping[Any, Any]]
) -> dict[str, Any]:
    """The order page's parcels panel: parcels, open cases and the ship form's choices."""
    shipped = await shipping.shipped_quantities(session, order_id=order["id"])
    open_cases = await cases.list_cases(
        session, statuses=[cases.CaseStatus.OPEN, cases.CaseStatus.IN_PROGRESS], order_number=order["number"]
    )
    return {
        "parcels": await load_parcels(session, order_id=order["id"]),
        "parcel_cases": open_cases,
        "to_ship": remaining_units(order_lines, shipped) if order["status"] in SHIPPABLE else [],
        "carriers": carrier_options(),
        "carrier_names": carrier_names(),
        "warehouses": [(w.code, w.name) for w in await inventory.list_warehouses(session)],
        "PARCEL_STATUS": PARCEL_STATUS_TEXT,
        "PARCEL_TONE": PARCEL_TONE,
        "CAUSES": CAUSES,
    }
