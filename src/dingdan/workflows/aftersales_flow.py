"""The after-sales flow across domains: the customer asks, staff decide, goods come back and
are restocked or written off (stock ledger rows), money goes back through a refund event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import rules
from dingdan.aftersales import service as aftersales
from dingdan.aftersales.errors import OutsidePolicy, QuantityExceeded
from dingdan.aftersales.models import AftersalesRequest
from dingdan.inventory import service as inventory
from dingdan.orders import service as orders
from dingdan.platform import clock, events
from dingdan.platform.errors import InvalidInput
from dingdan.platform.settings import get_settings
from dingdan.workflows.customer_access import CustomerRef, get_owned_order, status_reached_at

K, S = rules.RequestKind, rules.RequestStatus
STARTED_AT_TOPICS = {
    K.LOST_PARCEL: ("order.shipped", "order.partially_shipped"),
}
DELIVERED_TOPICS = ("order.delivered",)


@dataclass(frozen=True)
class RequestedLine:
    line_no: int
    quantity: int


async def open_request(
    session: AsyncSession,
    *,
    order_number: str,
    customer: CustomerRef,
    kind: rules.RequestKind,
    lines: Sequence[RequestedLine],
    reason: str,
    note: str = "",
) -> dict[str, Any]:
    """A customer asks for a return, refund, exchange or lost-parcel compensation."""
    order = await get_owned_order(session, number=order_number, customer=customer, for_update=True)
    await _check_policy(session, order, kind)
    order_lines = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    chosen = _chosen_lines(kind, lines, order_lines)
    await _check_quantities(session, order_number, order_lines, chosen)
    amount = rules.refund_amount(
        kind,
        lines=[(line["unit_price"], line["quantity"]) for line in chosen],
        order_total=order["total"],
        already_refunded=await aftersales.refunded_total(session, order_number=order_number),
    )
    request = await aftersales.create_request(
        session, order_number=order_number, kind=kind, lines=[_line_json(ln) for ln in chosen],
        reason=reason, note=note, refund_amount=amount, currency=order["currency"], actor=customer.actor,
    )  # fmt: skip
    await orders.record_timeline(
        session, order_number, "order.aftersales_requested", customer.actor,
        request=request.number, kind=kind.value, reason=reason,
    )  # fmt: skip
    return aftersales.request_view(request)


async def _check_policy(session: AsyncSession, order: Mapping[Any, Any], kind: rules.RequestKind) -> None:
    if order["status"] not in rules.ELIGIBLE_ORDER_STATUSES[kind]:
        raise OutsidePolicy(
            "an order in status {status} cannot have a {kind} request",
            params={"status": order["status"], "kind": kind.value},
            field="kind",
        )
    topics = STARTED_AT_TOPICS.get(kind, DELIVERED_TOPICS)
    since = await status_reached_at(session, number=order["number"], topics=topics) or order["updated_at"]
    days = get_settings().aftersales_window_days
    if not rules.within_window(since, clock.now(), days):
        raise OutsidePolicy(
            "requests are accepted within {days} days", params={"days": days}, field="kind", window_days=days
        )


def _chosen_lines(
    kind: rules.RequestKind, lines: Sequence[RequestedLine], order_lines: Sequence[Mapping[Any, Any]]
) -> list[dict[str, Any]]:
    by_no = {line["line_no"]: line for line in order_lines}
    if kind is K.LOST_PARCEL and not lines:
        return [{**line, "quantity": line["quantity"]} for line in order_lines]
    if not lines:
        raise InvalidInput("name the items and quantities", field="lines")
    for index, wanted in enumerate(lines):
        if wanted.line_no not in by_no:
            raise InvalidInput(
                "the order has no line {line_no}",
                params={"line_no": wanted.line_no},
                field=f"/lines/{index}/line_no",
            )
    return [{**by_no[w.line_no], "quantity": w.quantity} for w in lines]


async def _check_quantities(
    session: AsyncSession,
    number: str,
    order_lines: Sequence[Mapping[Any, Any]],
    chosen: Sequence[Mapping[Any, Any]],
) -> None:
    ordered = {line["line_no"]: line["quantity"] for line in order_lines}
    asked = rules.sum_by_line((line["line_no"], line["quantity"]) for line in chosen)
    already = await aftersales.requested_quantities(session, order_number=number)
    problems = rules.quantity_problems(ordered, already, asked)
    if problems:
        line_no, left = problems[0]
        raise QuantityExceeded(
            "line {line_no}: at most {left} more",
            params={"line_no": line_no, "left": left},
            field="lines",
            line_no=line_no,
            left=left,
        )


def _line_json(line: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "line_no": line["line_no"],
        "sku": line["sku"],
        "product_name": line["product_name"],
        "quantity": line["quantity"],
        "unit_price": str(line["unit_price"]),
    }


async def _step(
    session: AsyncSession,
    *,
    number: str,
    to: rules.RequestStatus,
    actor: str,
    reason: str = "",
    **changes: Any,
) -> AftersalesRequest:
    request = await aftersales.get_request(session, number=number, for_update=True)
    await aftersales.advance(session, request=request, to=to, actor=actor, reason=reason, **changes)
    await orders.record_timeline(
        session, request.order_number, f"order.aftersales_{to.value}", actor, request=number, reason=reason
    )
    return request


async def decide(
    session: AsyncSession, *, number: str, approve: bool, reason: str, actor: str
) -> dict[str, Any]:
    """Staff approve or reject (a rejection needs a reason the customer will read)."""
    if not approve and not reason.strip():
        raise InvalidInput("say why the request is rejected", field="reason")
    to = S.APPROVED if approve else S.REJECTED
    request = await _step(session, number=number, to=to, actor=actor, reason=reason, decision_reason=reason)
    return aftersales.request_view(request)


async def withdraw(session: AsyncSession, *, number: str, customer: CustomerRef) -> dict[str, Any]:
    request = await aftersales.get_request(session, number=number)
    await get_owned_order(session, number=request.order_number, customer=customer)
    return aftersales.request_view(await _step(session, number=number, to=S.WITHDRAWN, actor=customer.actor))


async def receive_items(session: AsyncSession, *, number: str, actor: str, note: str = "") -> dict[str, Any]:
    return aftersales.request_view(
        await _step(session, number=number, to=S.RECEIVED, actor=actor, reason=note)
    )


async def dispose_items(
    session: AsyncSession, *, number: str, disposition: rules.Disposition, warehouse: str | None, actor: str
) -> dict[str, Any]:
    """Returned goods go back on the shelf of the chosen warehouse, or are written off; either
    way each unit is a row in the stock ledger (a write-off is received, then written off)."""
    request = await _step(
        session, number=number, to=S.INSPECTED, actor=actor, reason=disposition.value,
        disposition=disposition.value, warehouse_code=warehouse or inventory.DEFAULT_WAREHOUSE,
    )  # fmt: skip
    view = aftersales.request_view(request)  # stock adjustments expire the session's objects
    for line in view["lines"]:
        await _adjust(session, view, line, +1, "退貨入庫")
        if disposition is rules.Disposition.WRITE_OFF:
            await _adjust(session, view, line, -1, "退貨報廢")
    return view


async def _adjust(
    session: AsyncSession, request: Mapping[str, Any], line: Mapping[Any, Any], sign: int, label: str
) -> None:
    await inventory.adjust(
        session,
        sku=line["sku"],
        delta=sign * int(line["quantity"]),
        reason=f"{label} {request['number']} ({request['order_number']})",
        actor=f"aftersales:{request['number']}",
        warehouse_code=request["warehouse"],
    )


async def request_refund(session: AsyncSession, *, number: str, actor: str) -> dict[str, Any]:
    """Hand the refund to payments: `aftersales.refund_requested` carries the amount."""
    request = await _step(session, number=number, to=S.REFUND_PENDING, actor=actor)
    events.record(
        session,
        events.Event(
            "aftersales.refund_requested", aftersales.AGGREGATE, request.number,
            {"order_number": request.order_number, "request": request.number,
             "amount": str(request.refund_amount), "currency": request.currency, "kind": request.kind},
            actor=actor,
        ),
    )  # fmt: skip
    return aftersales.request_view(request)


async def complete(session: AsyncSession, *, number: str, actor: str, reference: str = "") -> dict[str, Any]:
    """Close a request: the refund was paid (`reference` from the provider), or the
    replacement of an exchange was sent (`aftersales.replacement_requested`)."""
    request = await _step(
        session,
        number=number,
        to=S.COMPLETED,
        actor=actor,
        reason=reference,
        refund_reference=reference or None,
    )
    if request.kind == K.EXCHANGE.value:
        events.record(
            session,
            events.Event(
                "aftersales.replacement_requested", aftersales.AGGREGATE, request.number,
                {"order_number": request.order_number, "request": request.number, "lines": request.lines},
                actor=actor,
            ),
        )  # fmt: skip
    return aftersales.request_view(request)
