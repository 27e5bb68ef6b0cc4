"""Reading "my orders": a page of the list with tab counts, and one order's detail — each a
fixed, small number of statements however many orders the customer has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.models import Product
from dingdan.orders import service as orders
from dingdan.orders.customer_queries import (
    NO_FILTERS,
    MyOrderFilters,
    count_by_tab,
    get_own_order_row,
    list_own_orders,
)
from dingdan.orders.customer_view import my_order_detail, my_order_row
from dingdan.orders.states import Tab
from dingdan.payments import service as payments
from dingdan.platform.db import padded
from dingdan.platform.fastread import FastRead, Reader
from dingdan.platform.pagination import encode_cursor
from dingdan.workflows import track_lookup

PRODUCTS = Product.__table__
LINES, ORDERS = orders.LINES, orders.ORDERS


def _lines_with_images_where(which: ColumnElement[bool]) -> Select[Any]:
    """Lines with each line's product image: one statement for both."""
    return (
        select(
            LINES.c.order_id,
            LINES.c.line_no,
            LINES.c.product_name,
            LINES.c.attributes,
            LINES.c.quantity,
            PRODUCTS.c.image_url,
        )
        .select_from(LINES.outerjoin(PRODUCTS, PRODUCTS.c.id == LINES.c.product_id))
        .where(which)
        .order_by(LINES.c.order_id, LINES.c.line_no)
    )


_LINES_OF_ORDERS = _lines_with_images_where(LINES.c.order_id.in_(bindparam("ids", expanding=True)))
# An unfiltered page of the "all" tab holds every one of the customer's orders between its
# oldest and newest: its lines are read by that range, a prebuilt statement (fastread.py).
_LINES_OF_RANGE = FastRead(
    _lines_with_images_where(
        LINES.c.order_id.in_(
            select(ORDERS.c.id).where(
                ORDERS.c.customer_id == bindparam("customer_id"),
                ORDERS.c.id >= bindparam("oldest"),
                ORDERS.c.id <= bindparam("newest"),
            )
        )
    )
)


async def _lines_with_images(
    reader: Reader, order_ids: list[int], *, customer_id: int, every_order_in_range: bool
) -> dict[int, list[Mapping[Any, Any]]]:
    by_order: dict[int, list[Mapping[Any, Any]]] = {oid: [] for oid in order_ids}
    if not order_ids:
        return by_order
    if every_order_in_range:
        range_ = {"customer_id": customer_id, "oldest": min(order_ids), "newest": max(order_ids)}
        found: Iterable[Mapping[Any, Any]] = await _LINES_OF_RANGE.rows(reader, range_)
    else:
        found = (await reader.execute(_LINES_OF_ORDERS, {"ids": padded(order_ids)})).mappings()
    for line in found:
        if line["order_id"] in by_order:  # an order placed since the page was read is not on it
            by_order[line["order_id"]].append(line)
    return by_order


def _first_image(lines: list[Mapping[Any, Any]]) -> str | None:
    return lines[0]["image_url"] if lines else None  # lines come in line order


async def list_page(
    session: Reader,
    *,
    customer_id: int,
    filters: MyOrderFilters,
    tab: Tab | None,
    after_id: int | None,
    limit: int,
) -> dict[str, Any]:
    """{"items", "next_cursor", "counts"}: three statements (orders, lines with images, counts)."""
    rows, more = await list_own_orders(
        session, customer_id=customer_id, filters=filters, tab=tab, after_id=after_id, limit=limit
    )
    every_order_in_range = tab is None and filters == NO_FILTERS
    lines = await _lines_with_images(
        session, [r["id"] for r in rows], customer_id=customer_id, every_order_in_range=every_order_in_range
    )
    items = [my_order_row(r, lines[r["id"]], _first_image(lines[r["id"]])) for r in rows]
    return {
        "items": items,
        "next_cursor": encode_cursor(rows[-1]["id"]) if more and rows else None,
        "counts": await count_by_tab(session, customer_id=customer_id, filters=filters),
    }


async def detail(session: AsyncSession, *, number: str, customer_id: int) -> dict[str, Any]:
    """The customer's order with lines, payments, refunds and parcels: six statements, and a
    seventh while a started payment waits.

    `payment_confirming` is true while the provider's word on a payment is received but not yet
    applied (webhooks are answered first, processed just after): the customer who has just
    paid is told so, and is not offered to pay again, which would open a second payment."""
    row = await get_own_order_row(session, number=number, customer_id=customer_id)
    lines = await orders.get_lines(session, order_ids=[row["id"]])
    paid, refunded = await payments.list_for_orders(session, order_numbers=[number])
    view = my_order_detail(
        row,
        lines[row["id"]],
        [_columns(p, "id", "provider", "status", "amount", "created_at") for p in paid],
        [_columns(r, "id", "status", "amount", "created_at") for r in refunded],
    )
    waiting = bool(paid) and row["status"] == "pending_payment"  # only a started payment has webhooks
    confirming = waiting and await payments.has_unprocessed_webhook(session, order_number=number)
    if confirming:
        view["actions"] = [action for action in view["actions"] if action != "pay"]
    parcels = await track_lookup.parcels_of_order(session, order_id=row["id"])
    return {**view, "payment_confirming": confirming, "parcels": parcels}


def _columns(obj: object, *names: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}
