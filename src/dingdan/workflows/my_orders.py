"""Reading "my orders": a page of the list with tab counts, and one order's detail — each a
fixed, small number of statements however many orders the customer has."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.models import Product
from dingdan.orders import service as orders
from dingdan.orders.customer_queries import MyOrderFilters, count_by_tab, get_own_order_row, list_own_orders
from dingdan.orders.customer_view import my_order_detail, my_order_row
from dingdan.orders.states import Tab
from dingdan.payments import service as payments
from dingdan.platform.db import padded
from dingdan.platform.fastread import Reader
from dingdan.platform.pagination import encode_cursor
from dingdan.workflows import track_lookup

PRODUCTS = Product.__table__
# The lines of a page's orders with each line's product image: one statement for both.
_LINES_WITH_IMAGES = (
    select(
        orders.LINES.c.order_id,
        orders.LINES.c.line_no,
        orders.LINES.c.product_name,
        orders.LINES.c.attributes,
        orders.LINES.c.quantity,
        PRODUCTS.c.image_url,
    )
    .select_from(orders.LINES.outerjoin(PRODUCTS, PRODUCTS.c.id == orders.LINES.c.product_id))
    .where(orders.LINES.c.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(orders.LINES.c.order_id, orders.LINES.c.line_no)
)


async def _lines_with_images(session: Reader, order_ids: list[int]) -> dict[int, list[RowMapping]]:
    by_order: dict[int, list[RowMapping]] = {oid: [] for oid in order_ids}
    if order_ids:
        for line in (await session.execute(_LINES_WITH_IMAGES, {"ids": padded(order_ids)})).mappings():
            by_order[line["order_id"]].append(line)
    return by_order


def _first_image(lines: list[RowMapping]) -> str | None:
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
    lines = await _lines_with_images(session, [r["id"] for r in rows])
    items = [
        my_order_row(r, lines[r["id"]], lines[r["id"]][0]["image_url"] if lines[r["id"]] else None)
        for r in rows
    ]
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
