"""Reading "my orders": a page of the list with tab counts, and one order's detail — each a
fixed, small number of statements however many orders the customer has."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog.models import Product
from dingdan.orders import service as orders
from dingdan.orders.customer_queries import MyOrderFilters, count_by_tab, get_own_order_row, list_own_orders
from dingdan.orders.customer_view import my_order_detail, my_order_row
from dingdan.orders.states import Tab
from dingdan.payments import service as payments
from dingdan.platform.db import padded
from dingdan.platform.pagination import encode_cursor
from dingdan.workflows import track_lookup


async def _image_urls(session: AsyncSession, product_ids: Iterable[int]) -> dict[int, str | None]:
    wanted = padded(product_ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Product.id, Product.image_url).where(Product.id.in_(wanted)))
    return {pid: url for pid, url in rows}


async def list_page(
    session: AsyncSession,
    *,
    customer_id: int,
    filters: MyOrderFilters,
    tab: Tab | None,
    after_id: int | None,
    limit: int,
) -> dict[str, Any]:
    """{"items", "next_cursor", "counts"}: four statements (orders, lines, images, counts)."""
    rows, more = await list_own_orders(
        session, customer_id=customer_id, filters=filters, tab=tab, after_id=after_id, limit=limit
    )
    lines = await orders.get_lines(session, order_ids=[r["id"] for r in rows])
    firsts = {oid: min(ls, key=lambda ln: ln["line_no"]) for oid, ls in lines.items() if ls}
    images = await _image_urls(session, (ln["product_id"] for ln in firsts.values()))
    items = [
        my_order_row(
            r, lines[r["id"]], images.get(firsts[r["id"]]["product_id"]) if r["id"] in firsts else None
        )
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
