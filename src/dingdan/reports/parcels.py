"""Parcels at a glance for the console: how many are in each status, how many are stuck,
how many exception cases are still being worked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.shipping import exception_cases as cases
from dingdan.shipping.rules import TERMINAL_STATUSES
from dingdan.shipping.service import SHIPMENTS

FINISHED = [s.value for s in TERMINAL_STATUSES]


@dataclass(frozen=True)
class ParcelFigures:
    by_status: dict[str, int] = field(default_factory=dict)
    stuck: int = 0
    open_cases: int = 0

    def count(self, *statuses: str) -> int:
        return sum(self.by_status.get(status, 0) for status in statuses)


async def count_stuck_parcels(session: AsyncSession) -> int:
    """Live parcels the stuck-parcel job flagged and no scan has moved on since."""
    stmt = select(func.count()).where(
        SHIPMENTS.c.stuck_rule.is_not(None), SHIPMENTS.c.status.not_in(FINISHED)
    )
    return int(await session.scalar(stmt) or 0)


async def count_open_cases(session: AsyncSession) -> int:
    stmt = select(func.count()).where(cases.CASES.c.status.in_(cases.LIVE))
    return int(await session.scalar(stmt) or 0)


async def load_parcel_figures(session: AsyncSession) -> ParcelFigures:
    grouped = await session.execute(select(SHIPMENTS.c.status, func.count()).group_by(SHIPMENTS.c.status))
    return ParcelFigures(
        by_status={status: int(count) for status, count in grouped.all()},
        stuck=await count_stuck_parcels(session),
        open_cases=await count_open_cases(session),
    )


async def list_parcels(
    session: AsyncSession, *, statuses: Sequence[str] = (), stuck_only: bool = False, limit: int = 50
) -> list[RowMapping]:
    """Parcels in any of `statuses` (or the stuck ones), the longest silent first."""
    last_heard = func.coalesce(SHIPMENTS.c.last_scan_at, SHIPMENTS.c.shipped_at)
    stmt = select(SHIPMENTS).order_by(last_heard, SHIPMENTS.c.id).limit(limit)
    if statuses:
        stmt = stmt.where(SHIPMENTS.c.status.in_(list(statuses)))
    if stuck_only:
        stmt = stmt.where(SHIPMENTS.c.stuck_rule.is_not(None), SHIPMENTS.c.status.not_in(FINISHED))
    return list((await session.execute(stmt)).mappings())
