"""The review queue: orders waiting for a person, each with its issues in words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dingdan.auth.rules import Permission
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import taiwan
from dingdan.platform.errors import InvalidInput
from dingdan.platform.pagination import decode_cursor, encode_cursor
from dingdan.web.deps import DB, Principal
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.wording import render_console

router = APIRouter(prefix="/console/review", include_in_schema=False)
Reader = Annotated[Principal, Depends(staff_page(Permission.ORDERS_READ))]
PAGE_SIZE = 10


@router.get("")
async def review_queue(request: Request, db: DB, who: Reader) -> Response:
    try:
        after_id = decode_cursor(request.query_params.get("cursor"))
    except InvalidInput:
        after_id = None
    async with db.read() as session:
        rows = await orders.list_order_rows(
            session, status=[OrderStatus.PENDING_REVIEW], after_id=after_id, limit=PAGE_SIZE
        )
        lines = await orders.get_lines(session, order_ids=[r["id"] for r in rows])
    next_url = f"/console/review?cursor={encode_cursor(rows[-1]['id'])}" if len(rows) == PAGE_SIZE else None
    return render_console(
        request,
        "console/review.html",
        {
            "rows": rows,
            "lines": lines,
            "next_url": next_url,
            "counties": taiwan.list_counties(),
            "districts_of": taiwan.list_districts,
            "done": request.query_params.get("done", ""),
            "error": request.query_params.get("error", ""),
        },
    )
