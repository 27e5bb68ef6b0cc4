from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.responses import Response

from dingdan.web.api.responses import json_response
from dingdan.web.deps import DB

router = APIRouter(tags=["operations"])


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
