"""Return, refund, exchange and lost-parcel requests: create, move along the flow, list.

Every step is an event on the request (`aftersales.<status>`); the workflows add the order's
timeline entry and do the cross-domain parts (stock, refunds)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import rules
from dingdan.aftersales.errors import RequestNotFound, RequestStepRefused
from dingdan.aftersales.models import AftersalesRequest
from dingdan.platform import clock, events
from dingdan.platform.ids import ALPHABET
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE

AGGREGATE = "aftersales_request"


def new_request_number(at: datetime) -> str:
    """`AS-`, the date (YYMMDD), a dash and 6 random characters."""
    return f"AS-{at:%y%m%d}-" + "".join(secrets.choice(ALPHABET) for _ in range(6))


async def create_request(
    session: AsyncSession,
    *,
    order_number: str,
    kind: rules.RequestKind,
    lines: Sequence[Mapping[str, Any]],
    reason: str,
    note: str,
    refund_amount: Decimal,
    currency: str,
    actor: str,
) -> AftersalesRequest:
    at = clock.now()
    request = AftersalesRequest(
        number=new_request_number(at),
        order_number=order_number,
        kind=kind.value,
        status=rules.RequestStatus.REQUESTED.value,
        reason=reason,
        customer_note=note,
        lines=[dict(line) for line in lines],
        refund_amount=refund_amount,
        currency=currency,
        decision_reason="",
        requested_by=actor,
        version=1,
        created_at=at,
        updated_at=at,
    )
    session.add(request)
    await session.flush()
    _record(session, request, "aftersales.requested", actor, reason=reason, kind=kind.value)
    return request


def _record(session: AsyncSession, request: AftersalesRequest, topic: str, actor: str, **extra: Any) -> None:
    payload = {
        "order_number": request.order_number,
        "request": request.number,
        "status": request.status,
        **extra,
    }
    events.record(session, events.Event(topic, AGGREGATE, request.number, payload, actor=actor))


async def get_request(session: AsyncSession, *, number: str, for_update: bool = False) -> AftersalesRequest:
    stmt = select(AftersalesRequest).where(AftersalesRequest.number == number)
    if for_update:
        stmt = stmt.with_for_update()
    found = await session.scalar(stmt)
    if found is None:
        raise RequestNotFound("no after-sales request {number}", params={"number": number}, field="number")
    return found


async def advance(
    session: AsyncSession,
    *,
    request: AftersalesRequest,
    to: rules.RequestStatus,
    actor: str,
    reason: str = "",
    **changes: Any,
) -> AftersalesRequest:
    """Move a request one step along its kind's flow and record the step as an event."""
    kind, current = rules.RequestKind(request.kind), rules.RequestStatus(request.status)
    if not rules.can_move(kind, current, to):
        raise RequestStepRefused(
            "a {kind} request in status {current} cannot become {to}",
            params={"kind": kind.value, "current": current.value, "to": to.value},
            field="status",
            current=current.value,
            target=to.value,
        )
    for name, value in changes.items():
        setattr(request, name, value)
    request.status, request.updated_at, request.version = to.value, clock.now(), request.version + 1
    await session.flush()
    _record(
        session, request, f"aftersales.{to.value}", actor, from_status=current.value, reason=reason,
        **{k: str(v) if isinstance(v, Decimal) else v for k, v in changes.items()},
    )  # fmt: skip
    return request


async def requested_quantities(session: AsyncSession, *, order_number: str) -> dict[int, int]:
    """Per order line, the units in this order's requests that were not rejected or withdrawn."""
    stmt = select(AftersalesRequest.lines).where(
        AftersalesRequest.order_number == order_number,
        AftersalesRequest.status.not_in([rules.RequestStatus.REJECTED, rules.RequestStatus.WITHDRAWN]),
    )
    pairs = [
        (int(line["line_no"]), int(line["quantity"]))
        for lines in (await session.execute(stmt)).scalars()
        for line in lines
    ]
    return rules.sum_by_line(pairs)


async def has_open_request(session: AsyncSession, *, order_number: str) -> bool:
    stmt = select(AftersalesRequest.id).where(
        AftersalesRequest.order_number == order_number, AftersalesRequest.status.not_in(list(rules.CLOSED))
    )
    return (await session.scalar(stmt.limit(1))) is not None


async def refunded_total(session: AsyncSession, *, order_number: str) -> Decimal:
    stmt = select(AftersalesRequest.refund_amount).where(
        AftersalesRequest.order_number == order_number,
        AftersalesRequest.status.in_([rules.RequestStatus.REFUND_PENDING, rules.RequestStatus.COMPLETED]),
    )
    return sum((await session.execute(stmt)).scalars(), Decimal(0))


async def list_requests(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = (),
    kind: str | None = None,
    order_number: str | None = None,
    after_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> list[AftersalesRequest]:
    """The staff queue (newest first), or one order's requests."""
    filters = [
        AftersalesRequest.status.in_(list(statuses)) if statuses else None,
        AftersalesRequest.kind == kind if kind else None,
        AftersalesRequest.order_number == order_number if order_number else None,
        AftersalesRequest.id < after_id if after_id else None,
    ]
    stmt = (
        select(AftersalesRequest)
        .where(*[f for f in filters if f is not None])
        .order_by(AftersalesRequest.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


def request_view(request: AftersalesRequest) -> dict[str, Any]:
    return {
        "number": request.number,
        "order_number": request.order_number,
        "kind": request.kind,
        "status": request.status,
        "reason": request.reason,
        "customer_note": request.customer_note,
        "lines": request.lines,
        "refund_amount": str(request.refund_amount),
        "currency": request.currency,
        "decision_reason": request.decision_reason,
        "disposition": request.disposition,
        "warehouse": request.warehouse_code,
        "refund_reference": request.refund_reference,
        "requested_by": request.requested_by,
        "created_at": request.created_at.isoformat(),
        "updated_at": request.updated_at.isoformat(),
    }
