"""The figures on the console's first page: today's business and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.inventory import service as inventory
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.reports.parcels import count_open_cases, count_stuck_parcels

SHOP_TZ = ZoneInfo("Asia/Taipei")


@dataclass(frozen=True)
class Dashboard:
    orders_today: int
    sales_today: Decimal
    waiting_for_review: int
    waiting_for_payment: int
    to_ship: int
    low_stock: list[tuple[str, int, int]]
    since: datetime
    open_exception_cases: int = 0
    stuck_parcels: int = 0

    @property
    def parcels_with_problems(self) -> int:
        return self.open_exception_cases + self.stuck_parcels


def start_of_today() -> datetime:
    local_now = clock.now().astimezone(SHOP_TZ)
    return datetime.combine(local_now.date(), time.min, tzinfo=SHOP_TZ)


async def load_dashboard(session: AsyncSession) -> Dashboard:
    since = start_of_today()
    table = orders.ORDERS
    today = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(table.c.total), 0)).where(
                table.c.created_at >= since, table.c.status != OrderStatus.CANCELLED.value
            )
        )
    ).one()
    by_status: dict[str, int] = dict(
        (
            await session.execute(
                select(table.c.status, func.count())
                .where(
                    table.c.status.in_(
                        [OrderStatus.PENDING_REVIEW, OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED]
                    )
                )
                .group_by(table.c.status)
            )
        ).all()
    )
    return Dashboard(
        orders_today=today[0],
        sales_today=Decimal(today[1]),
        waiting_for_review=by_status.get(OrderStatus.PENDING_REVIEW.value, 0),
        waiting_for_payment=by_status.get(OrderStatus.PENDING_PAYMENT.value, 0),
        to_ship=by_status.get(OrderStatus.CONFIRMED.value, 0),
        low_stock=await inventory.list_low_stock(session, limit=10),
        since=since - timedelta(0),
        open_exception_cases=await count_open_cases(session),
        stuck_parcels=await count_stuck_parcels(session),
    )
