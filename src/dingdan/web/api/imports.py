"""Bulk order import over HTTP: upload a file, poll the job, download the template."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from dingdan.channels import import_jobs
from dingdan.channels import service as channels
from dingdan.channels.import_template import ImportKind, write_template
from dingdan.channels.models import ImportJob
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, OrdersImport
from dingdan.workflows.import_jobs import start_import_job

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
JobPath = Annotated[str, Path(max_length=32)]
MEDIA_TYPES = {
    ImportKind.CSV: "text/csv; charset=utf-8",
    ImportKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class RowErrorOut(BaseModel):
    row: int
    column: str
    field: str
    code: str
    message: str
    order_ref: str | None


class ImportJobOut(BaseModel):
    id: str
    channel: str
    filename: str
    dry_run: bool
    status: Literal["queued", "running", "done", "failed"]
    phase: str
    orders_total: int
    orders_done: int
    imported: int
    already_present: int
    rows_total: int
    rows_rejected: int
    message: str
    errors: list[RowErrorOut]
    preview: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None


def job_view(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.public_id,
        "channel": job.channel_code,
        "filename": job.filename,
        "dry_run": job.dry_run,
        "status": job.status,
        "phase": job.phase,
        "orders_total": job.orders_total,
        "orders_done": job.orders_done,
        "imported": job.imported,
        "already_present": job.already_present,
        "rows_total": job.rows_total,
        "rows_rejected": job.rows_rejected,
        "message": job.message,
        "errors": job.errors,
        "preview": job.preview,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


async def start_upload(
    request: Request, db: DB, *, upload: UploadFile, channel: str, dry_run: bool, actor: str
) -> str:
    """Shared by the API and the console page: checks the channel, stores and starts the job."""
    async with db.read() as session:
        await channels.get_intake_settings(session, code=channel)
    return await start_import_job(
        db,
        upload=upload.file,
        filename=upload.filename or "upload",
        channel=channel,
        dry_run=dry_run,
        actor=actor,
        var_dir=request.app.state.settings.var_dir,
    )


@router.post(
    "",
    status_code=202,
    responses=problems(400, 401, 403, 404, 413, 422),
    summary="Upload a CSV or XLSX file of orders; answers a job to poll",
)
async def post_import(
    request: Request,
    db: DB,
    who: OrdersImport,
    file: Annotated[UploadFile, File(description="the file, .csv or .xlsx, in the template's format")],
    channel: Annotated[str, Form(max_length=32)],
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    job_id = await start_upload(request, db, upload=file, channel=channel, dry_run=dry_run, actor=who.actor)
    location = f"/api/v1/imports/{job_id}"
    return json_response({"id": job_id, "status_url": location}, status=202, headers={"Location": location})


@router.get(
    "/template.{kind}",
    responses={200: {"content": {m: {} for m in MEDIA_TYPES.values()}}, **problems(401, 403, 422)},
    summary="The import template, CSV or XLSX, with Chinese or English headers",
)
async def get_template(
    kind: ImportKind, _: OrdersImport, language: Annotated[Literal["zh-Hant", "en"], Query()] = "zh-Hant"
) -> Response:
    return template_response(kind, language)


def template_response(kind: ImportKind, language: Literal["zh-Hant", "en"]) -> Response:
    filename = f"dingdan-order-import-template.{kind.value}"
    return Response(
        write_template(kind, language=language),
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{job_id}", response_model=ImportJobOut, responses=problems(401, 403, 404))
async def get_import(job_id: JobPath, db: DB, _: OrdersImport) -> Response:
    async with db.read() as session:
        return json_response(job_view(await import_jobs.get_job(session, public_id=job_id)))
