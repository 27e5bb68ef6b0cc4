"""Reading the audit log: newest first, filtered, one keyset page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.platform.audit import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None  # included
    until: datetime | None = None  # excluded


def actor_name(raw: str) -> str:
    """`owner@shop.tw` means the staff member `staff:owner@shop.tw`; other actors are given whole."""
    raw = raw.strip()
    return raw if ":" in raw or raw == "anonymous" else f"staff:{raw.lower()}"


def _filtered(wanted: AuditFilter) -> Select[AuditEntry]:
    stmt = select(AuditEntry)
    if wanted.actor:
        stmt = stmt.where(AuditEntry.actor == actor_name(wanted.actor))
    if wanted.action:
        stmt = stmt.where(AuditEntry.action == wanted.action)
    if wanted.object_type:
        stmt = stmt.where(AuditEntry.object_type == wanted.object_type)
    if wanted.object_id:
        stmt = stmt.where(AuditEntry.object_id == wanted.object_id)
    if wanted.since:
        stmt = stmt.where(AuditEntry.at >= wanted.since)
    if wanted.until:
        stmt = stmt.where(AuditEntry.at < wanted.until)
    return stmt


async def list_entries(
    session: AsyncSession, wanted: AuditFilter, *, before_id: int | None, limit: int
) -> Sequence[AuditEntry]:
    stmt = _filtered(wanted)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return (await session.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit))).scalars().all()
