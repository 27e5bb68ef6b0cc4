"""The merchant confirms an order after review."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.orders.errors import InvalidTransition
from dingdan.orders.schemas import order_view
from dingdan.orders.states import CONFIRMABLE, OrderStatus
from dingdan.platform.errors import Conflict


class BackorderOutstanding(Conflict):
    code = "backorder-outstanding"
    title = "Some lines are still waiting for stock"


async def confirm_order(session: AsyncSession, *, number: str, actor: str, note: str = "") -> dict[str, Any]:
    order = await orders.get_order_row(session, number=number, for_update=True)
    if OrderStatus(order["status"]) not in CONFIRMABLE:
        raise InvalidTransition(
            "an order in status {status} cannot be confirmed",
            params={"status": order["status"]},
            field="status",
            current=order["status"],
            target=OrderStatus.CONFIRMED.value,
        )
    lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    waiting = [ln["sku"] for ln in lines if ln["backordered_quantity"]]
    if waiting:
        raise BackorderOutstanding(
            "waiting for stock of {skus}", params={"skus": ", ".join(waiting)}, field="lines", skus=waiting
        )
    updated = await orders.transition(
        session,
        order=order,
        to=OrderStatus.CONFIRMED,
        actor=actor,
        reason=note,
        changes={"review_issues": []},
    )
    if order["review_issues"]:
        await orders.record_timeline(
            session,
            number,
            "order.review_accepted",
            actor,
            issues=[i["code"] for i in order["review_issues"]],
        )
    return order_view(updated, lines)
