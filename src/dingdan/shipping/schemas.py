"""Shapes of parcels and exception cases over the API: strict in, one view function out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from dingdan.shipping.adapters.base import ServiceType
from dingdan.shipping.exception_cases import CaseAction, CaseStatus

Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
TrackingNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9\-]{4,64}$")
]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParcelLineIn(Strict):
    sku: Sku
    quantity: Annotated[StrictInt, Field(ge=1, le=9999)]


class ShipmentIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"carrier": "sim"},
                {
                    "carrier": "sim",
                    "lines": [{"sku": "CUP-500-BLK", "quantity": 1}],
                    "service": "store_pickup",
                    "pickup_store": "前金門市",
                },
                {"carrier": "kuaidi100", "tracking_number": "V030344422"},
            ]
        },
    )

    carrier: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    lines: Annotated[list[ParcelLineIn], Field(min_length=1, max_length=100)] | None = None
    tracking_number: TrackingNumber | None = None
    service: ServiceType = ServiceType.HOME_DELIVERY
    pickup_store: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    warehouse: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None


class CancelIn(Strict):
    reason: Text500 = ""


class CaseActionIn(Strict):
    type: CaseAction
    note: Text500 = ""


class CaseUpdateIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "in_progress",
                    "owner": "clerk@shop.tw",
                    "action": {"type": "contact_carrier", "note": "已致電營業所"},
                },
                {"status": "resolved", "resolution": "已補寄新品", "action": {"type": "reship"}},
            ]
        },
    )

    status: CaseStatus | None = None
    owner: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    customer_message: Text2000 | None = None
    resolution: Text2000 | None = None
    action: CaseActionIn | None = None


class ParcelLineOut(BaseModel):
    sku: str
    quantity: int
    warehouse_id: int


class ScanOut(BaseModel):
    at: datetime
    status: str
    reason: str | None
    description: str
    location: str
    city: str
    postal_code: str
    raw_code: str
    source: str


class ShipmentOut(BaseModel):
    id: int
    order_number: str
    carrier: str
    service: str
    tracking_number: str
    status: str
    reason: str | None
    raw_code: str
    pickup_store: str
    label_url: str
    shipped_at: datetime
    status_at: datetime | None
    last_event_at: datetime | None
    current_location: dict[str, str]
    route: list[str]
    promised_delivery: datetime | None
    estimated_delivery: datetime | None
    delivered_at: datetime | None
    stuck_rule: str | None
    lines: list[ParcelLineOut]
    events: list[ScanOut] | None = None


class CaseOut(BaseModel):
    id: int
    shipment_id: int
    order_number: str
    tracking_number: str
    kind: str
    cause: str
    status: str
    customer_message: str
    actions: list[dict[str, Any]]
    resolution: str
    owner: str | None
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class OrderShipmentsOut(BaseModel):
    order_number: str
    fulfillment_status: str
    shipments: list[ShipmentOut]
    open_cases: list[CaseOut]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def scan_view(scan: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "at": scan["occurred_at"].isoformat(),
        "status": scan["status"],
        "reason": scan["reason"],
        "description": scan["description"],
        "location": scan["location_text"],
        "city": scan["city"],
        "postal_code": scan["postal_code"],
        "raw_code": scan["raw_code"],
        "source": scan["source"],
    }


def shipment_view(
    shipment: Mapping[Any, Any],
    lines: Sequence[Mapping[Any, Any]],
    scans: Sequence[Mapping[Any, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON of a parcel; with `scans`, its whole history, oldest first."""
    view = {
        "id": shipment["id"],
        "order_number": shipment["order_number"],
        "carrier": shipment["carrier"],
        "service": shipment["service"],
        "tracking_number": shipment["tracking_number"],
        "status": shipment["status"],
        "reason": shipment["reason"],
        "raw_code": shipment["raw_code"],
        "pickup_store": shipment["pickup_store"],
        "label_url": shipment["label_url"],
        "shipped_at": shipment["shipped_at"].isoformat(),
        "status_at": _iso(shipment["status_event_at"]),
        "last_event_at": _iso(shipment["last_scan_at"]),
        "current_location": {"text": shipment["current_location"], "city": shipment["current_city"]},
        "route": list(shipment["route"]),
        "promised_delivery": _iso(shipment["promised_delivery"]),
        "estimated_delivery": _iso(shipment["estimated_delivery"]),
        "delivered_at": _iso(shipment["delivered_at"]),
        "stuck_rule": shipment["stuck_rule"],
        "lines": [
            {"sku": ln["sku"], "quantity": ln["quantity"], "warehouse_id": ln["warehouse_id"]} for ln in lines
        ],
    }
    if scans is not None:
        view["events"] = [scan_view(scan) for scan in scans]
    return view


def case_view(case: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": case["id"],
        "shipment_id": case["shipment_id"],
        "order_number": case["order_number"],
        "tracking_number": case["tracking_number"],
        "kind": case["kind"],
        "cause": case["cause"],
        "status": case["status"],
        "customer_message": case["customer_message"],
        "actions": case["actions"],
        "resolution": case["resolution"],
        "owner": case["owner"],
        "opened_at": case["opened_at"].isoformat(),
        "updated_at": case["updated_at"].isoformat(),
        "resolved_at": _iso(case["resolved_at"]),
    }
