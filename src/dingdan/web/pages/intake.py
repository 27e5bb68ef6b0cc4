"""Console pages for intake: sales channels with their keys and secrets, and bulk import."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from dingdan.auth.rules import Permission
from dingdan.channels import import_jobs
from dingdan.channels import service as channels
from dingdan.channels.import_template import ImportKind
from dingdan.channels.rules import ChannelType, StockPolicy
from dingdan.platform.errors import DomainError
from dingdan.web.api.channels import ChannelIn, new_channel_fields
from dingdan.web.api.imports import job_view, start_upload, template_response
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.templating import refusal_text, render
from dingdan.workflows.import_jobs import import_after_dry_run

router = APIRouter(prefix="/console", include_in_schema=False)
ChannelStaff = Annotated[Principal, Depends(staff_page(Permission.CHANNELS_MANAGE))]
ImportStaff = Annotated[Principal, Depends(staff_page(Permission.ORDERS_PLACE))]
Csrf = [Depends(verify_csrf)]
CodePath = Annotated[str, Path(max_length=32)]
JobPath = Annotated[str, Path(max_length=32)]
Checkbox = Annotated[str | None, Form()]


# Channels ----------------------------------------------------------------------------------


async def _channels_page(request: Request, db: DB, status: int = 200, **extra: Any) -> Response:
    async with db.read() as session:
        listed = await channels.list_channels(session)
        keys = {c.code: await channels.list_api_keys(session, code=c.code) for c in listed}
    context = {
        "channels": listed,
        "keys": keys,
        "types": [t.value for t in ChannelType],
        "policies": [p.value for p in StockPolicy],
        "new_key": None,
        "error": None,
        **extra,
    }
    return render(request, "console/channels.html", context, status=status)


@router.get("/channels")
async def channels_page(request: Request, db: DB, _: ChannelStaff) -> Response:
    return await _channels_page(request, db)


@router.post("/channels", dependencies=Csrf)
async def create_channel(
    request: Request,
    db: DB,
    _: ChannelStaff,
    code: Annotated[str, Form(max_length=32)],
    name: Annotated[str, Form(max_length=120)],
    type: Annotated[str, Form(max_length=16)],
) -> Response:
    try:
        data = ChannelIn.model_validate({"code": code, "name": name, "type": type})
    except ValueError:
        return await _channels_page(request, db, 422, error="invalid-channel")

    async def create(session: AsyncSession) -> None:
        await channels.create_channel(session, **new_channel_fields(data))

    try:
        await db.write(create)
    except DomainError as refused:
        return await _channels_page(request, db, refused.status, error=refused.code)
    return RedirectResponse("/console/channels", status_code=303)


@router.post("/channels/{code}", dependencies=Csrf)
async def edit_channel(
    code: CodePath,
    db: DB,
    _: ChannelStaff,
    stock_policy: Annotated[Literal["reject", "backorder"], Form()],
    auto_confirm: Checkbox = None,
    webhook_secret: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    async def change(session: AsyncSession) -> None:
        await channels.update_channel(
            session, code=code, stock_policy=stock_policy, auto_confirm=auto_confirm is not None
        )
        if len(webhook_secret.strip()) >= 16:
            await channels.add_webhook_secret(session, code=code, secret=webhook_secret.strip())

    await db.write(change)
    return RedirectResponse(f"/console/channels#channel-{code}", status_code=303)


@router.post("/channels/{code}/api-keys", dependencies=Csrf)
async def create_api_key(
    request: Request,
    code: CodePath,
    db: DB,
    who: ChannelStaff,
    name: Annotated[str, Form(max_length=80)] = "API key",
) -> Response:
    async def create(session: AsyncSession) -> dict[str, str]:
        row, key = await channels.create_api_key(
            session, code=code, name=name.strip() or "API key", actor=who.actor
        )
        return {"channel": code, "name": row.name, "key": key}

    response = await _channels_page(request, db, new_key=await db.write(create))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/channels/{code}/api-keys/{key_id}/revoke", dependencies=Csrf)
async def revoke_api_key(
    code: CodePath, key_id: Annotated[int, Path(ge=1)], db: DB, _: ChannelStaff
) -> Response:
    await db.write(channels.revoke_api_key, code=code, key_id=key_id)
    return RedirectResponse(f"/console/channels#channel-{code}", status_code=303)


# Import ------------------------------------------------------------------------------------


@router.get("/import")
async def import_page(request: Request, db: DB, _: ImportStaff) -> Response:
    async with db.read() as session:
        listed = [c for c in await channels.list_channels(session) if c.active]
        recent = await import_jobs.list_recent_jobs(session)
    context = {"channels": listed, "jobs": [job_view(j) for j in recent], "error": None}
    return render(request, "console/import.html", context)


@router.get("/import/template.{kind}")
async def import_template(
    kind: ImportKind, _: ImportStaff, language: Literal["zh-Hant", "en"] = "zh-Hant"
) -> Response:
    return template_response(kind, language)


@router.post("/import", dependencies=Csrf)
async def upload(
    request: Request,
    db: DB,
    who: ImportStaff,
    file: Annotated[UploadFile, File()],
    channel: Annotated[str, Form(max_length=32)],
    dry_run: Checkbox = None,
) -> Response:
    try:
        job_id = await start_upload(
            request, db, upload=file, channel=channel, dry_run=dry_run is not None, actor=who.actor
        )
    except DomainError as refused:
        async with db.read() as session:
            listed = [c for c in await channels.list_channels(session) if c.active]
        context = {"channels": listed, "jobs": [], "error": refusal_text(request, refused)}
        return render(request, "console/import.html", context, status=refused.status)
    return RedirectResponse(f"/console/import/{job_id}", status_code=303)


@router.get("/import/{job_id}")
async def import_job_page(request: Request, job_id: JobPath, db: DB, _: ImportStaff) -> Response:
    async with db.read() as session:
        job = job_view(await import_jobs.get_job(session, public_id=job_id))
    partial = request.headers.get("hx-request") == "true"
    return render(
        request, "console/import_job_body.html" if partial else "console/import_job.html", {"job": job}
    )


@router.post("/import/{job_id}/run", dependencies=Csrf)
async def import_checked_file(request: Request, job_id: JobPath, db: DB, who: ImportStaff) -> Response:
    var_dir = request.app.state.settings.var_dir
    new_id = await import_after_dry_run(db, dry_run_id=job_id, actor=who.actor, var_dir=var_dir)
    return RedirectResponse(f"/console/import/{new_id}", status_code=303)
