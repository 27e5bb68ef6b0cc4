"""Import jobs: the row a console or API upload polls for progress and the final report."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.channels.errors import ImportJobNotFound
from dingdan.channels.models import ImportJob
from dingdan.platform import clock

JOBS = cast(Table, ImportJob.__table__)
MAX_STORED_ERRORS = 1000
MAX_PREVIEW_ORDERS = 50


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


async def create_job(
    session: AsyncSession, *, channel_code: str, filename: str, dry_run: bool, actor: str
) -> ImportJob:
    job = ImportJob(
        public_id=secrets.token_hex(12),
        channel_code=channel_code,
        filename=filename[:200],
        dry_run=dry_run,
        status=JobStatus.QUEUED,
        phase="",
        orders_total=0,
        orders_done=0,
        imported=0,
        already_present=0,
        rows_total=0,
        rows_rejected=0,
        errors=[],
        preview=[],
        message="",
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(job)
    await session.flush()
    return job


async def get_job(session: AsyncSession, *, public_id: str) -> ImportJob:
    job = await session.scalar(select(ImportJob).where(ImportJob.public_id == public_id))
    if job is None:
        raise ImportJobNotFound(
            "no import job {public_id!r}", params={"public_id": public_id}, field="job_id"
        )
    return job


async def list_recent_jobs(session: AsyncSession, *, limit: int = 10) -> Sequence[ImportJob]:
    stmt = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def update_job(session: AsyncSession, *, public_id: str, **values: Any) -> None:
    """Progress and results; error and preview lists are capped so a job row stays small."""
    if "errors" in values:
        values["errors"] = list(values["errors"])[:MAX_STORED_ERRORS]
    if "preview" in values:
        values["preview"] = list(values["preview"])[:MAX_PREVIEW_ORDERS]
    if values.get("status") in (JobStatus.DONE, JobStatus.FAILED):
        values["finished_at"] = clock.now()
    await session.execute(update(JOBS).where(JOBS.c.public_id == public_id).values(**values))
