"""The order list: tabs with counts, search, filters kept in the URL, cursor pages, live rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dingdan.auth.rules import Permission
from dingdan.channels import service as channels
from dingdan.orders import service as orders
from dingdan.platform.errors import InvalidInput
from dingdan.platform.pagination import decode_cursor, encode_cursor
from dingdan.reports import order_list
from dingdan.web.deps import DB, Principal
from dingdan.web.i18n import SHOP_TZ
from dingdan.web.pages.payment_view import payments_to_refund
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.wording import render_console

router = APIRouter(prefix="/console/orders", include_in_schema=False)
Reader = Annotated[Principal, Depends(staff_page(Permission.ORDERS_READ))]
PAGE_SIZE = 25
FILTER_KEYS = ("tab", "q", "channel", "pay", "from", "to", "min", "max")


@dataclass
class ListQuery:
    """The list's view as read from the URL; `problems` names the parameters that were ignored."""

    params: dict[str, str]
    where: order_list.OrderFilter
    after_id: int | None = None
    problems: list[str] = field(default_factory=list)

    def url(self, **changes: str | None) -> str:
        merged = {**self.params, **changes}
        kept = {k: v for k, v in merged.items() if v and not (k == "tab" and v == "all")}
        return "/console/orders" + (f"?{urlencode(kept)}" if kept else "")

    @property
    def narrowed(self) -> bool:
        """True when a filter other than the tab is set (live rows are then not prepended)."""
        return any(self.params.get(k) for k in FILTER_KEYS if k != "tab")


def _day(raw: str, problems: list[str], name: str) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        problems.append(name)
        return None
    if len(raw) <= 10:  # a date: the start of that day in the shop's time zone
        return datetime.combine(parsed.date(), time.min, tzinfo=SHOP_TZ)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHOP_TZ)


def _amount(raw: str, problems: list[str], name: str) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        problems.append(name)
        return None
    return value if value.is_finite() else None


def read_query(request: Request) -> ListQuery:
    params = {k: request.query_params.get(k, "").strip()[:100] for k in (*FILTER_KEYS, "cursor")}
    problems: list[str] = []
    asked = params["tab"] or request.query_params.get("status", "")  # the dashboard links by status
    tab = asked if asked in order_list.TABS else "all"
    until = _day(params["to"], problems, "to")
    if until is not None and len(params["to"]) <= 10:
        until += timedelta(days=1)  # "to" a date includes that whole day
    where = order_list.OrderFilter(
        tab=tab,
        text=params["q"],
        channel=params["channel"],
        payment_method=params["pay"],
        since=_day(params["from"], problems, "from"),
        until=until,
        min_total=_amount(params["min"], problems, "min"),
        max_total=_amount(params["max"], problems, "max"),
    )
    after_id = None
    try:
        after_id = decode_cursor(params.pop("cursor") or None)
    except InvalidInput:
        problems.append("cursor")
    return ListQuery({**params, "tab": tab}, where, after_id, problems)


async def load_rows(db: Any, query: ListQuery) -> dict[str, Any]:
    async with db.read() as session:
        rows = await order_list.list_orders(
            session, where=query.where, after_id=query.after_id, limit=PAGE_SIZE
        )
        counts = await order_list.count_by_tab(session, where=query.where)
        lines = await orders.get_lines(session, order_ids=[r["id"] for r in rows])
        known_channels = await channels.list_channels(session)
        to_refund = await payments_to_refund(session)
    next_url = query.url(cursor=encode_cursor(rows[-1]["id"])) if len(rows) == PAGE_SIZE else None
    return {
        "rows": rows,
        "lines": lines,
        "counts": counts,
        "channels": known_channels,
        "next_url": next_url,
        "to_refund": to_refund,
    }


@router.get("")
async def order_list_page(request: Request, db: DB, who: Reader) -> Response:
    query = read_query(request)
    data = await load_rows(db, query)
    return render_console(
        request,
        "console/orders.html",
        {
            **data,
            "query": query,
            "tabs": order_list.TABS,
            "live_statuses": [s.value for s in order_list.TABS[query.where.tab]],
            "notice": request.query_params.get("notice", ""),
            "today": date.today().isoformat(),
        },
    )


@router.get("/{number}/row")
async def order_row(request: Request, number: str, db: DB, who: Reader) -> Response:
    """One row of the list, for live updates."""
    async with db.read() as session:
        row = await orders.get_order_row(session, number=number[:20])
        lines = await orders.get_lines(session, order_ids=[row["id"]])
    return render_console(request, "console/_order_row.html", {"order": row, "lines": lines[row["id"]]})
