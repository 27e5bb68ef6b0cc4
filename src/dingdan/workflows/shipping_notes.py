"""Shipping notes (發貨單) for one order or many, as one PDF.

One note per live parcel, with the parcel's lines and its tracking number as a barcode;
an order not shipped yet gets one note with all its lines (a packing slip to pick from).
Four statements whatever the number of orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.orders.errors import OrderNotFound
from dingdan.platform.settings import get_settings
from dingdan.shipping import service as shipping
from dingdan.shipping.documents import NoteLine, ShippingNote, render_shipping_notes
from dingdan.shipping.rules import TrackingStatus

TAIPEI = ZoneInfo("Asia/Taipei")
MAX_ORDERS = 200


async def shipping_notes_pdf(
    session: AsyncSession, *, numbers: Sequence[str], carrier_names: Mapping[str, str]
) -> bytes:
    wanted = list(dict.fromkeys(n.strip().upper() for n in numbers))
    found = {
        row["number"]: row
        for row in (
            await session.execute(select(orders.ORDERS).where(orders.ORDERS.c.number.in_(wanted)))
        ).mappings()
    }
    for index, number in enumerate(wanted):
        if number not in found:
            raise OrderNotFound("no order {number}", params={"number": number}, field=f"/order/{index}")
    order_ids = [found[n]["id"] for n in wanted]
    lines = await orders.get_lines(session, order_ids=order_ids)
    parcels = await _live_parcels(session, order_ids)
    parcel_lines = await shipping.list_lines(
        session, shipment_ids=[p["id"] for ps in parcels.values() for p in ps]
    )
    notes: list[ShippingNote] = []
    for number in wanted:
        order = found[number]
        notes += _notes_for(
            order, lines[order["id"]], parcels.get(order["id"], []), parcel_lines, carrier_names
        )
    return render_shipping_notes(notes, title=f"{get_settings().shop_name} 發貨單")


async def _live_parcels(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
    stmt = (
        select(shipping.SHIPMENTS)
        .where(
            shipping.SHIPMENTS.c.order_id.in_(order_ids),
            shipping.SHIPMENTS.c.status != TrackingStatus.CANCELLED.value,
        )
        .order_by(shipping.SHIPMENTS.c.id)
    )
    by_order: dict[int, list[RowMapping]] = {}
    for row in (await session.execute(stmt)).mappings():
        by_order.setdefault(row["order_id"], []).append(row)
    return by_order


def _notes_for(
    order: RowMapping,
    order_lines: Sequence[RowMapping],
    parcels: Sequence[RowMapping],
    parcel_lines: Mapping[int, Sequence[RowMapping]],
    carrier_names: Mapping[str, str],
) -> list[ShippingNote]:
    by_sku = {line["sku"]: line for line in order_lines}
    if not parcels:
        return [_note(order, [(ln["sku"], ln["quantity"]) for ln in order_lines], by_sku)]
    notes = []
    for parcel in parcels:
        quantities: dict[str, int] = {}
        for line in parcel_lines[parcel["id"]]:
            quantities[line["sku"]] = quantities.get(line["sku"], 0) + line["quantity"]
        notes.append(_note(order, list(quantities.items()), by_sku, parcel, carrier_names))
    return notes


def _note(
    order: RowMapping,
    items: Sequence[tuple[str, int]],
    by_sku: Mapping[str, RowMapping],
    parcel: RowMapping | None = None,
    carrier_names: Mapping[str, str] | None = None,
) -> ShippingNote:
    address = (
        f"{order['ship_postal_code']} {order['ship_city']}{order['ship_district']}"
        f"{order['ship_line1']} {order['ship_line2']}"
    ).strip()
    extra: dict[str, Any] = {}
    if parcel is not None:
        extra = {
            "tracking_number": parcel["tracking_number"],
            "carrier_name": (carrier_names or {}).get(parcel["carrier"], parcel["carrier"]),
            "shipped_on": parcel["shipped_at"].astimezone(TAIPEI).date(),
        }
    return ShippingNote(
        shop_name=get_settings().shop_name,
        order_number=order["number"],
        recipient_name=order["ship_recipient"],
        address=address,
        phone=order["ship_phone"],
        lines=[
            NoteLine(sku, by_sku[sku]["product_name"], quantity, by_sku[sku]["attributes"] or {})
            for sku, quantity in items
        ],
        remarks=order["note"],
        **extra,
    )
