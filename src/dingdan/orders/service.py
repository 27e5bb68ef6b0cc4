"""Order entry points. Orders are written with Core statements so that placing one costs a
fixed handful of SQL statements whatever its line count."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, RowMapping, Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders.errors import InvalidTransition, OrderNotFound
from dingdan.orders.models import Order, OrderLine
from dingdan.orders.states import OrderStatus, Tab, can_transition, statuses_in_tab
from dingdan.platform import clock, events
from dingdan.platform.batchinsert import BatchInsert
from dingdan.platform.db import padded
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE

SEQ = "seq"  # the payload key of an order event's per-order sequence number (docs/api.md)

ORDERS = cast(Table, Order.__table__)
LINES = cast(Table, OrderLine.__table__)
# Built once: statements on the placement path are only executed, never rebuilt per request.
_INSERT_ORDERS = BatchInsert(ORDERS, returning=("id", "number"), skip_conflicts=True)
_INSERT_LINES = BatchInsert(LINES)
_DUPLICATE_SUSPECTS = select(ORDERS.c.customer_phone, ORDERS.c.line_fingerprint, ORDERS.c.number).where(
    ORDERS.c.customer_phone.in_(bindparam("phones", expanding=True)),
    ORDERS.c.created_at >= bindparam("since"),
    ORDERS.c.status != OrderStatus.CANCELLED.value,
)


async def insert_orders(
    session: AsyncSession, *, orders: Sequence[dict[str, Any]], lines: Mapping[str, Sequence[dict[str, Any]]]
) -> bool:
    """Insert orders and their lines (by order number) in two statements. False, and nothing
    of the lines written, when any order's number, external id or idempotency key already
    exists: the caller rolls back and deals with the orders one by one."""
    ids = {number: order_id for order_id, number in await _INSERT_ORDERS.run(session, orders)}
    if len(ids) != len(orders):
        return False
    rows = [{**ln, "order_id": ids[number]} for number, order_lines in lines.items() for ln in order_lines]
    await _INSERT_LINES.run(session, rows)
    return True


async def find_by_intake_keys(
    session: AsyncSession,
    *,
    channel_code: str,
    external_id: str | None,
    idempotency_scope: str | None,
    idempotency_key: str | None,
) -> RowMapping | None:
    conditions = []
    if external_id is not None:
        conditions.append(and_(ORDERS.c.channel_code == channel_code, ORDERS.c.external_id == external_id))
    if idempotency_key is not None:
        conditions.append(
            and_(ORDERS.c.idempotency_scope == idempotency_scope, ORDERS.c.idempotency_key == idempotency_key)
        )
    if not conditions:
        return None
    row = await session.execute(select(ORDERS).where(or_(*conditions)).limit(1))
    return row.mappings().first()


async def find_duplicate_suspects(
    session: AsyncSession, *, keys: Iterable[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], str]:
    """For (phone, line fingerprint) pairs: the number of a recent open order from that phone
    with the same items, when there is one."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = await session.execute(
        _DUPLICATE_SUSPECTS, {"phones": padded(p for p, _ in wanted), "since": since}
    )
    return {(phone, fp): number for phone, fp, number in rows if (phone, fp) in wanted}


async def get_order_row(session: AsyncSession, *, number: str, for_update: bool = False) -> RowMapping:
    stmt = select(ORDERS).where(ORDERS.c.number == number)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    if row is None:
        raise OrderNotFound("no order {number}", params={"number": number}, field="number")
    return row


async def get_order_rows(session: AsyncSession, *, numbers: Collection[str]) -> dict[str, RowMapping]:
    """The orders of these numbers that exist, by number: one statement."""
    if not numbers:
        return {}
    stmt = select(ORDERS).where(ORDERS.c.number.in_(padded(numbers)))
    return {row["number"]: row for row in (await session.execute(stmt)).mappings()}


_LINES_OF_ORDERS = (
    select(LINES)
    .where(LINES.c.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(LINES.c.order_id, LINES.c.line_no)
)


async def get_lines(session: AsyncSession, *, order_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
    by_order: dict[int, list[RowMapping]] = {oid: [] for oid in order_ids}
    if not order_ids:
        return by_order
    for row in (await session.execute(_LINES_OF_ORDERS, {"ids": padded(order_ids)})).mappings():
        by_order[row["order_id"]].append(row)
    return by_order


@dataclass(frozen=True)
class TimelineEvent:
    """An event for the order's timeline, written with the change it describes."""

    topic: str
    actor: str
    payload: Mapping[str, Any] = field(default_factory=dict)


async def transition(
    session: AsyncSession,
    *,
    order: Mapping[Any, Any],
    to: OrderStatus,
    actor: str,
    reason: str = "",
    changes: Mapping[Any, Any] | None = None,
) -> dict[str, Any]:
    """Move an order along the state machine and write the timeline event. The update is
    conditional on the status read, so two concurrent transitions cannot both win."""
    current = OrderStatus(order["status"])
    if not can_transition(current, to):
        raise InvalidTransition(
            "an order in status {current} cannot become {to}",
            params={"current": current.value, "to": to.value},
            field="status",
            current=current.value,
            target=to.value,
        )
    values = {"status": to.value, "updated_at": clock.now(), **(changes or {})}
    version = await _write(session, order["id"], values, ORDERS.c.status == current.value)
    if version is None:
        raise InvalidTransition("the order changed meanwhile; reload and retry", field="status")
    record_at_version(
        session,
        order["number"],
        TimelineEvent(
            f"order.{to.value}",
            actor,
            {"from_status": current.value, "to_status": to.value, "reason": reason},
        ),
        seq=version,
    )
    return {**order, **values, "version": version}


async def _write(
    session: AsyncSession, order_id: int, values: Mapping[Any, Any], *conditions: ColumnElement[bool]
) -> int | None:
    """Update the order and add one to its version, in one statement; returns the new version
    (None when no row matched). The row stays locked until commit, so the changes of one order,
    and the sequence numbers of its events, follow one another in commit order."""
    statement = (
        update(ORDERS)
        .where(ORDERS.c.id == order_id, *conditions)
        .values({**values, "version": ORDERS.c.version + 1})
        .returning(ORDERS.c.version)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def record_timeline(session: AsyncSession, number: str, topic: str, actor: str, **payload: Any) -> int:
    """Write an event on the order's timeline; it counts as a change of the order (its version
    goes up by one and is the event's `seq`). Returns that sequence number."""
    statement = (
        update(ORDERS)
        .where(ORDERS.c.number == number)
        .values(version=ORDERS.c.version + 1)
        .returning(ORDERS.c.version)
    )
    seq = (await session.execute(statement)).scalar_one_or_none()
    if seq is None:
        raise OrderNotFound("no order {number}", params={"number": number}, field="number")
    record_at_version(session, number, TimelineEvent(topic, actor, payload), seq=seq)
    return int(seq)


def record_at_version(session: AsyncSession, number: str, entry: TimelineEvent, *, seq: int) -> None:
    """Record an event for a change that has just set the order's version to `seq` (placing
    an order writes version 1): no statement of its own."""
    payload = {**entry.payload, SEQ: seq}
    events.record(session, events.Event(entry.topic, "order", number, payload, actor=entry.actor))


async def update_fields(
    session: AsyncSession,
    *,
    order: Mapping[Any, Any],
    values: Mapping[Any, Any],
    event: TimelineEvent | None = None,
) -> dict[str, Any]:
    """Change columns of the order (its version goes up by one); with `event`, the timeline
    event describing the change, numbered with the new version."""
    changed = {"updated_at": clock.now(), **values}
    version = await _write(session, order["id"], changed)
    if version is None:
        raise OrderNotFound("no order {number}", params={"number": order["number"]}, field="number")
    if event is not None:
        record_at_version(session, order["number"], event, seq=version)
    return {**order, **changed, "version": version}


async def list_order_rows(
    session: AsyncSession,
    *,
    status: Sequence[OrderStatus] = (),
    tab: Tab | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    customer_id: int | None = None,
    after_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> list[RowMapping]:
    stmt = select(ORDERS).order_by(ORDERS.c.id.desc()).limit(limit)
    wanted = [s.value for s in status] + ([s.value for s in statuses_in_tab(tab)] if tab else [])
    filters = [
        ORDERS.c.status.in_(wanted) if wanted else None,
        ORDERS.c.channel_code == channel if channel else None,
        ORDERS.c.created_at >= since if since else None,
        ORDERS.c.created_at < until if until else None,
        ORDERS.c.customer_id == customer_id if customer_id is not None else None,
        ORDERS.c.id < after_id if after_id else None,
        _text_filter(text) if text else None,
    ]
    stmt = stmt.where(*[f for f in filters if f is not None])
    return list((await session.execute(stmt)).mappings())


def _text_filter(text: str) -> ColumnElement[bool]:
    pattern = f"%{text}%"
    by_line = select(LINES.c.order_id).where(or_(LINES.c.sku == text, LINES.c.product_name.ilike(pattern)))
    return or_(
        ORDERS.c.number == text.upper(),
        ORDERS.c.external_id == text,
        ORDERS.c.customer_phone == text,
        ORDERS.c.customer_email == text.lower(),
        ORDERS.c.customer_name.ilike(pattern),
        ORDERS.c.id.in_(by_line),
    )
