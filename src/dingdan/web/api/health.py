from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.responses import Response

from dingdan.web.api.responses import json_response
from dingdan.web.deps import DB

router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="Liveness: the process answers")
async def live() -> Response:
    return json_response({"status": "ok"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus_metrics(db: DB) -> Response:
    from dingdan.platform import metrics
    from dingdan.reports.invariants import undelivered_events

    async with db.read() as session:
        metrics.OUTBOX_LAG.set(await undelivered_events(session))
    return Response(metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/health/ready", summary="Readiness: the database answers")
@router.get("/health", summary="Liveness and the database's state")
async def health(db: DB) -> Response:
    try:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
        return json_response({"status": "ok", "database": {"state": "up", "dialect": db.dialect}})
    except Exception:  # the answer itself says what is wrong
        return json_response(
            {"status": "degraded", "database": {"state": "down", "dialect": db.dialect}}, status=503
        )
