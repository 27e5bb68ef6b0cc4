"""The console's order list: status tabs with counts, search and filters, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, RowMapping, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import rules
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE

S = OrderStatus
# The console's tabs: (key, statuses). "confirmed" is the warehouse's 待發貨.
TABS: dict[str, tuple[OrderStatus, ...]] = {
    "all": (),
    "pending_payment": (S.PENDING_PAYMENT,),
    "pending_review": (S.PENDING_REVIEW,),
    "confirmed": (S.CONFIRMED,),
    "shipped": (S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED),
    "completed": (S.COMPLETED,),
    "cancelled": (S.CANCELLED,),
}
ORDERS, LINES = orders.ORDERS, orders.LINES


@dataclass(frozen=True)
class OrderFilter:
    tab: str = "all"
    statuses: tuple[OrderStatus, ...] = ()
    text: str = ""
    channel: str = ""
    payment_method: str = ""
    since: datetime | None = None
    until: datetime | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None

    def conditions(self, *, with_tab: bool = True) -> list[ColumnElement[bool]]:
        wanted = (TABS.get(self.tab, ()) if with_tab else ()) + (self.statuses if with_tab else ())
        candidates = [
            ORDERS.c.status.in_([s.value for s in wanted]) if wanted else None,
            ORDERS.c.channel_code == self.channel if self.channel else None,
            ORDERS.c.payment_method == self.payment_method if self.payment_method else None,
            ORDERS.c.created_at >= self.since if self.since else None,
            ORDERS.c.created_at < self.until if self.until else None,
            ORDERS.c.total >= self.min_total if self.min_total is not None else None,
            ORDERS.c.total <= self.max_total if self.max_total is not None else None,
            text_filter(self.text) if self.text else None,
        ]
        return [c for c in candidates if c is not None]


def text_filter(text: str) -> ColumnElement[bool]:
    """Order number, external id, customer name, phone, e-mail, SKU or product name."""
    pattern = f"%{text}%"
    by_line = select(LINES.c.order_id).where(
        or_(LINES.c.sku == text.upper(), LINES.c.sku == text, LINES.c.product_name.ilike(pattern))
    )
    phone = rules.normalize_phone(text)
    return or_(
        ORDERS.c.number == text.upper(),
        ORDERS.c.external_id == text,
        ORDERS.c.customer_phone == phone,
        ORDERS.c.ship_phone == phone,
        ORDERS.c.customer_email == text.lower(),
        ORDERS.c.customer_name.ilike(pattern),
        ORDERS.c.ship_recipient.ilike(pattern),
        ORDERS.c.id.in_(by_line),
    )


async def list_orders(
    session: AsyncSession, *, where: OrderFilter, after_id: int | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> list[RowMapping]:
    stmt = select(ORDERS).where(*where.conditions()).order_by(ORDERS.c.id.desc()).limit(limit)
    if after_id:
        stmt = stmt.where(ORDERS.c.id < after_id)
    return list((await session.execute(stmt)).mappings())


async def count_by_tab(session: AsyncSession, *, where: OrderFilter) -> dict[str, int]:
    """How many orders each tab would show with the other filters kept."""
    stmt = select(ORDERS.c.status, func.count()).where(*where.conditions(with_tab=False))
    per_status: dict[str, int] = dict((await session.execute(stmt.group_by(ORDERS.c.status))).all())
    return {
        tab: sum(per_status.get(s.value, 0) for s in statuses) if statuses else sum(per_status.values())
        for tab, statuses in TABS.items()
    }


async def list_by_numbers(session: AsyncSession, *, numbers: Sequence[str]) -> list[RowMapping]:
    stmt = select(ORDERS).where(ORDERS.c.number.in_(list(numbers))).order_by(ORDERS.c.id.desc())
    return list((await session.execute(stmt)).mappings())
