"""A customer's own orders: the list of "my orders" with its filters and tab counts.

Every query is scoped by customer_id and walks the (customer_id, id) index newest first, so a
page costs the same with ten orders or ten thousand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders.errors import OrderNotFound
from dingdan.orders.service import LINES, ORDERS
from dingdan.orders.states import TAB_OF, OrderStatus, Tab, statuses_in_tab
from dingdan.platform.fastread import FastRead, Reader
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE, MAX_ID


@dataclass(frozen=True)
class MyOrderFilters:
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    category: str | None = None


async def get_own_order_row(
    session: AsyncSession, *, number: str, customer_id: int, for_update: bool = False
) -> RowMapping:
    """The customer's order; someone else's order is as absent as a missing one."""
    stmt = select(ORDERS).where(ORDERS.c.number == number, ORDERS.c.customer_id == customer_id)
    row = (await session.execute(stmt.with_for_update() if for_update else stmt)).mappings().first()
    if row is None:
        raise OrderNotFound("no order {number}", params={"number": number}, field="number")
    return row


def _conditions(customer_id: int, filters: MyOrderFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [ORDERS.c.customer_id == customer_id]
    if filters.since:
        found.append(ORDERS.c.created_at >= filters.since)
    if filters.until:
        found.append(ORDERS.c.created_at < filters.until)
    if filters.min_amount is not None:
        found.append(ORDERS.c.total >= filters.min_amount)
    if filters.max_amount is not None:
        found.append(ORDERS.c.total <= filters.max_amount)
    if filters.category:
        found.append(
            ORDERS.c.id.in_(select(LINES.c.order_id).where(LINES.c.category_code == filters.category))
        )
    if filters.text:
        pattern = f"%{filters.text}%"
        by_line = select(LINES.c.order_id).where(
            or_(LINES.c.product_name.ilike(pattern), LINES.c.sku == filters.text)
        )
        found.append(or_(ORDERS.c.number == filters.text.upper(), ORDERS.c.id.in_(by_line)))
    return found


# What a row of the list shows and its actions need; the order's other columns (the stored
# first answer, review notes, addresses) were most of what a page read and decoded.
LIST_COLUMNS = (
    ORDERS.c.id,
    ORDERS.c.number,
    ORDERS.c.status,
    ORDERS.c.payment_status,
    ORDERS.c.payment_method,
    ORDERS.c.fulfillment_status,
    ORDERS.c.currency,
    ORDERS.c.total,
    ORDERS.c.item_count,
    ORDERS.c.created_at,
)


def _in_tab(tab: Tab) -> ColumnElement[bool]:
    return ORDERS.c.status.in_([s.value for s in statuses_in_tab(tab)])


def _page(tab: Tab | None) -> FastRead:
    conditions = [ORDERS.c.customer_id == bindparam("customer_id"), ORDERS.c.id < bindparam("before")]
    if tab is not None:
        conditions.append(_in_tab(tab))
    newest_first = select(*LIST_COLUMNS).where(*conditions).order_by(ORDERS.c.id.desc())
    return FastRead(newest_first.limit(bindparam("limit")))


def _counts(conditions: list[ColumnElement[bool]]) -> Select[str, int]:
    return select(ORDERS.c.status, func.count().label("orders")).where(*conditions).group_by(ORDERS.c.status)


# A page without filters, the one nearly every visit opens, runs on the driver directly
# (platform/fastread.py): one prebuilt statement per tab, and one for the tab counts.
NO_FILTERS = MyOrderFilters()
NO_CURSOR = MAX_ID  # "before" no order: the first page
_PAGES = {tab: _page(tab) for tab in (None, *Tab)}
_COUNTS = FastRead(_counts([ORDERS.c.customer_id == bindparam("customer_id")]))


async def list_own_orders(
    reader: Reader,
    *,
    customer_id: int,
    filters: MyOrderFilters,
    tab: Tab | None = None,
    after_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> tuple[list[Mapping[Any, Any]], bool]:
    """(rows newest first, whether more follow): one statement."""
    if filters == NO_FILTERS:
        params = {"customer_id": customer_id, "before": after_id or NO_CURSOR, "limit": limit + 1}
        found: list[Mapping[Any, Any]] = list(await _PAGES[tab].rows(reader, params))
        return found[:limit], len(found) > limit
    conditions = _conditions(customer_id, filters)
    if tab is not None:
        conditions.append(_in_tab(tab))
    if after_id:
        conditions.append(ORDERS.c.id < after_id)
    stmt = select(*LIST_COLUMNS).where(*conditions).order_by(ORDERS.c.id.desc()).limit(limit + 1)
    rows: list[Mapping[Any, Any]] = list((await reader.execute(stmt)).mappings())
    return rows[:limit], len(rows) > limit


async def count_by_tab(reader: Reader, *, customer_id: int, filters: MyOrderFilters) -> dict[str, Any]:
    """Orders per tab (and "all") under the same filters: one statement."""
    if filters == NO_FILTERS:
        found = await _COUNTS.rows(reader, {"customer_id": customer_id})
    else:
        found = [
            dict(r) for r in (await reader.execute(_counts(_conditions(customer_id, filters)))).mappings()
        ]
    counts = {tab.value: 0 for tab in Tab}
    for row in found:
        counts[TAB_OF[OrderStatus(row["status"])].value] += row["orders"]
    counts["all"] = sum(counts.values())
    return counts


async def list_guest_orders(
    session: AsyncSession, *, emails: list[str], phones: list[str], limit: int = 500
) -> list[RowMapping]:
    """Orders placed without an account under one of these e-mails or phones."""
    if not emails and not phones:
        return []
    matches = [ORDERS.c.customer_email.in_(emails)] if emails else []
    matches += [ORDERS.c.customer_phone.in_(phones)] if phones else []
    stmt = (
        select(ORDERS).where(ORDERS.c.customer_id.is_(None), or_(*matches)).order_by(ORDERS.c.id).limit(limit)
    )
    return list((await session.execute(stmt)).mappings())
