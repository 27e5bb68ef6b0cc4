"""Public parcel lookup (物流查詢): by tracking number, or by order number plus the last
four digits of the recipient's phone.

The answer shows what a parcel label shows and no more: a masked name, city and district,
the status and the scans. An unknown number and a wrong phone suffix raise the same error
with the same text. Two statements whatever the number of parcels or scans: the parcels
with their order (one join, the phone suffix in the WHERE clause), then their scans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select

from dingdan.orders import service as orders
from dingdan.platform.db import padded
from dingdan.platform.errors import NotFound
from dingdan.platform.fastread import FastRead, Reader
from dingdan.shipping import exception_cases as cases
from dingdan.shipping import service as shipping
from dingdan.shipping.labels import mask_name

ORDERS, SHIPMENTS, SCANS, CASES = orders.ORDERS, shipping.SHIPMENTS, shipping.SCANS, cases.CASES
Row = Mapping[Any, Any]
NOT_FOUND_TEXT = "no parcel matches; check the number and the phone digits"


class TrackingNotFound(NotFound):
    code = "tracking-not-found"
    title = "No parcel matches"


def _columns() -> list[Any]:
    notice = (
        select(CASES.c.customer_message)
        .where(CASES.c.shipment_id == SHIPMENTS.c.id, CASES.c.status.in_(cases.LIVE))
        .order_by(CASES.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return [
        ORDERS.c.number.label("order_number"),
        ORDERS.c.status.label("order_status"),
        ORDERS.c.ship_recipient,
        ORDERS.c.ship_city,
        ORDERS.c.ship_district,
        SHIPMENTS.c.id.label("shipment_id"),
        SHIPMENTS.c.carrier,
        SHIPMENTS.c.tracking_number,
        SHIPMENTS.c.status,
        SHIPMENTS.c.reason,
        SHIPMENTS.c.service,
        SHIPMENTS.c.shipped_at,
        SHIPMENTS.c.estimated_delivery,
        SHIPMENTS.c.delivered_at,
        SHIPMENTS.c.last_scan_at,
        SHIPMENTS.c.current_location,
        SHIPMENTS.c.route,
        notice.label("notice"),
    ]


# Built once: building them was a visible share of a lookup's CPU.
_PARCELS = select(*_columns()).join_from(SHIPMENTS, ORDERS, ORDERS.c.id == SHIPMENTS.c.order_id)
_BY_TRACKING_NUMBER = _PARCELS.where(SHIPMENTS.c.tracking_number == bindparam("tracking_number")).order_by(
    SHIPMENTS.c.id
)
_BY_ORDER = (
    select(*_columns())
    .select_from(ORDERS.outerjoin(SHIPMENTS, SHIPMENTS.c.order_id == ORDERS.c.id))
    .where(ORDERS.c.number == bindparam("number"), ORDERS.c.ship_phone.endswith(bindparam("last4")))
    .order_by(SHIPMENTS.c.id)
)
_OF_ORDER = _PARCELS.where(SHIPMENTS.c.order_id == bindparam("order_id")).order_by(SHIPMENTS.c.id)


def _scans_where(which: ColumnElement[bool]) -> Select[Any]:
    columns = (
        SCANS.c.occurred_at,
        SCANS.c.status,
        SCANS.c.reason,
        SCANS.c.description,
        SCANS.c.location_text,
    )
    return (
        select(SCANS.c.shipment_id, *columns, SCANS.c.city)
        .where(which)
        .order_by(SCANS.c.shipment_id, SCANS.c.occurred_at.desc(), SCANS.c.id.desc())
    )


_SCANS = _scans_where(SCANS.c.shipment_id.in_(bindparam("ids", expanding=True)))
# The public lookup by tracking number is the busiest read of all: both its statements run
# on the driver directly on PostgreSQL (platform/fastread.py).
_PARCELS_BY_TRACKING_NUMBER = FastRead(_BY_TRACKING_NUMBER)
_SCANS_BY_TRACKING_NUMBER = FastRead(
    _scans_where(
        SCANS.c.shipment_id.in_(
            select(SHIPMENTS.c.id).where(SHIPMENTS.c.tracking_number == bindparam("tracking_number"))
        )
    )
)


async def lookup_by_tracking_number(reader: Reader, *, tracking_number: str) -> dict[str, Any]:
    params = {"tracking_number": tracking_number.strip().upper()}
    rows = await _PARCELS_BY_TRACKING_NUMBER.rows(reader, params)
    if not rows:
        raise TrackingNotFound(NOT_FOUND_TEXT)
    return _answer(rows, _by_shipment(await _SCANS_BY_TRACKING_NUMBER.rows(reader, params)))


async def lookup_by_order(session: Reader, *, order_number: str, phone_last4: str) -> dict[str, Any]:
    if not (len(phone_last4) == 4 and phone_last4.isdigit()):
        raise TrackingNotFound(NOT_FOUND_TEXT)
    params = {"number": order_number.strip().upper(), "last4": phone_last4}
    rows = list((await session.execute(_BY_ORDER, params)).mappings())
    if not rows:
        raise TrackingNotFound(NOT_FOUND_TEXT)
    ids = [r["shipment_id"] for r in rows if r["shipment_id"] is not None]
    return _answer(rows, await _scans(session, ids))


async def parcels_of_order(session: Reader, *, order_id: int) -> list[dict[str, Any]]:
    """The order's parcels for its own customer (who is already known to own it): courier,
    tracking number, expected delivery and the scans, newest first. Two statements."""
    rows = list((await session.execute(_OF_ORDER, {"order_id": order_id})).mappings())
    scans = await _scans(session, [r["shipment_id"] for r in rows])
    return [_parcel(r, scans.get(r["shipment_id"], [])) for r in rows]


def _answer(rows: Sequence[Row], scans: Mapping[int, list[Row]]) -> dict[str, Any]:
    """The label-level answer for the first order among `rows` (parcels joined to orders)."""
    rows = [r for r in rows if r["order_number"] == rows[0]["order_number"]]
    first = rows[0]
    return {
        "order": {"number": first["order_number"], "status": first["order_status"]},
        "recipient": mask_name(first["ship_recipient"]),
        "city": first["ship_city"],
        "district": first["ship_district"],
        "parcels": [
            _parcel(r, scans.get(r["shipment_id"], [])) for r in rows if r["shipment_id"] is not None
        ],
    }


async def _scans(session: Reader, ids: Sequence[int]) -> dict[int, list[Row]]:
    if not ids:
        return {}
    return _by_shipment((await session.execute(_SCANS, {"ids": padded(ids)})).mappings())


def _by_shipment(scans: Iterable[Row]) -> dict[int, list[Row]]:
    by_shipment: dict[int, list[Row]] = {}
    for scan in scans:
        by_shipment.setdefault(scan["shipment_id"], []).append(scan)
    return by_shipment


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _parcel(row: Row, scans: Sequence[Row]) -> dict[str, Any]:
    """One parcel as its label and its scans show it; scans newest first."""
    return {
        "carrier": row["carrier"],
        "tracking_number": row["tracking_number"],
        "service": row["service"],
        "status": row["status"],
        "reason": row["reason"],
        "shipped_at": _iso(row["shipped_at"]),
        "estimated_delivery": _iso(row["estimated_delivery"]),
        "delivered_at": _iso(row["delivered_at"]),
        "last_event_at": _iso(row["last_scan_at"]),
        "current_location": row["current_location"],
        "route": list(row["route"] or []),
        "notice": row["notice"],
        "events": [
            {
                "at": scan["occurred_at"].isoformat(),
                "status": scan["status"],
                "reason": scan["reason"],
                "description": scan["description"],
                "location": scan["location_text"],
                "city": scan["city"],
            }
            for scan in scans
        ],
    }
