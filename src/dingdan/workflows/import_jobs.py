"""Import jobs for uploads: the file is kept under var/imports/, the import runs in the
background of this process, and its progress and report are written to the job row, which
the console and the API poll. A job cut short by a restart can simply be uploaded again:
the import skips what is already there."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from dingdan.channels import import_jobs
from dingdan.channels.errors import ImportFileError
from dingdan.channels.import_jobs import JobStatus
from dingdan.channels.import_template import ImportKind, import_kind_for_filename
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError
from dingdan.workflows.import_orders import ImportReport, import_orders

log = logging.getLogger(__name__)
_running: set[asyncio.Task[None]] = set()


async def start_import_job(
    db: Database,
    *,
    upload: IO[bytes],
    filename: str,
    channel: str,
    dry_run: bool,
    actor: str,
    var_dir: Path,
) -> str:
    """Stores the upload, creates the job and starts it; returns the job's public id."""
    kind = import_kind_for_filename(filename)
    job = await db.write(
        import_jobs.create_job, channel_code=channel, filename=filename, dry_run=dry_run, actor=actor
    )
    path = _stored_file(var_dir, job.public_id, kind)
    with path.open("wb") as stored:
        shutil.copyfileobj(upload, stored, 1024 * 1024)
    _start(run_import_job(db, job.public_id, path, kind, channel, dry_run, actor))
    return job.public_id


async def import_after_dry_run(db: Database, *, dry_run_id: str, actor: str, var_dir: Path) -> str:
    """Imports the file a finished dry run checked (kept for this); returns the new job's id."""
    async with db.read() as session:
        checked = await import_jobs.get_job(session, public_id=dry_run_id)
    kind = import_kind_for_filename(checked.filename)
    kept = _stored_file(var_dir, checked.public_id, kind)
    if not checked.dry_run or checked.status != JobStatus.DONE or not kept.exists():
        raise ImportFileError("this dry run's file is no longer kept; upload the file again")
    job = await db.write(
        import_jobs.create_job,
        channel_code=checked.channel_code,
        filename=checked.filename,
        dry_run=False,
        actor=actor,
    )
    path = kept.rename(_stored_file(var_dir, job.public_id, kind))
    _start(run_import_job(db, job.public_id, path, kind, checked.channel_code, False, actor))
    return job.public_id


def _stored_file(var_dir: Path, public_id: str, kind: ImportKind) -> Path:
    folder = var_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{public_id}.{kind.value}"


def _start(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work)
    _running.add(task)
    task.add_done_callback(_running.discard)


async def run_import_job(
    db: Database, public_id: str, path: Path, kind: ImportKind, channel: str, dry_run: bool, actor: str
) -> None:
    await db.write(import_jobs.update_job, public_id=public_id, status=JobStatus.RUNNING)

    async def progress(phase: str, done: int, total: int) -> None:
        await db.write(
            import_jobs.update_job, public_id=public_id, orders_done=done, orders_total=total, phase=phase
        )

    try:
        report = await import_orders(
            db, lambda: str(path), kind, channel=channel, dry_run=dry_run, actor=actor, progress=progress
        )
    except DomainError as refused:
        await db.write(
            import_jobs.update_job, public_id=public_id, status=JobStatus.FAILED, message=refused.detail
        )
    except Exception:
        log.exception("import job %s failed", public_id)
        await db.write(
            import_jobs.update_job, public_id=public_id, status=JobStatus.FAILED, message="internal error"
        )
    else:
        await db.write(import_jobs.update_job, public_id=public_id, **report_fields(report))
        if dry_run:
            return  # kept so the merchant can import the file the dry run checked
    path.unlink(missing_ok=True)


def report_fields(report: ImportReport) -> dict[str, Any]:
    return {
        "status": JobStatus.DONE,
        "message": "",
        "orders_total": report.orders_total,
        "orders_done": report.to_import if not report.dry_run else 0,
        "imported": report.imported,
        "already_present": report.already_present,
        "rows_total": report.rows_total,
        "rows_rejected": report.rows_rejected,
        "errors": [asdict(e) for e in report.errors],
        "preview": report.preview,
    }


async def wait_for_jobs() -> None:
    """For tests and shutdown: wait until the running imports finish."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
