"""The audit log: who changed what, from where.

The web layer opens an `Origin` per request (client address, user agent, path) and names the
staff member once they are known. Every `Database.write` made while an identified origin is
open ends with one audit entry in the same transaction, written only if the transaction
changed something: the events it recorded, the rows the ORM flushed (with a diff of their
fields) or the INSERT/UPDATE/DELETE statements it ran. A transaction that raises writes
neither its change nor its entry.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Result, String, TextClause, event, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from dingdan.platform import clock
from dingdan.platform.db import Base
from dingdan.platform.types import BigId, UtcDateTime

WATCH_KEY = "dingdan.audit_changes"
MAX_ITEMS = 20
MAX_PAYLOAD_CHARS = 2000
SECRET_WORDS = ("password", "token", "secret", "hash")


class AuditEntry(Base):
    __tablename__ = "platform_audit_entry"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    method: Mapped[str] = mapped_column(String(8), default="")
    path: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_platform_audit_entry_actor", "actor", "id"),
        Index("ix_platform_audit_entry_action", "action", "id"),
        Index("ix_platform_audit_entry_object", "object_type", "object_id", "id"),
        Index("ix_platform_audit_entry_at", "at"),
    )


@dataclass
class Origin:
    """Where a request came from; `actor` is set once the caller is known to be staff."""

    ip: str
    user_agent: str
    method: str
    path: str
    actor: str | None = None
    described: tuple[str, str, str] | None = None


@dataclass
class Changes:
    """What a transaction wrote: the first MAX_ITEMS rows and statements, and how many more."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, str]] = field(default_factory=list)
    more: int = 0

    def add_row(self, row: dict[str, Any]) -> None:
        if len(self.rows) < MAX_ITEMS:
            self.rows.append(row)
        else:
            self.more += 1

    def add_statement(self, statement: dict[str, str]) -> None:
        if len(self.statements) < MAX_ITEMS:
            self.statements.append(statement)
        else:
            self.more += 1


_origin: ContextVar[Origin | None] = ContextVar("dingdan_audit_origin", default=None)
# Requests whose work one transaction does together (platform/batching.GroupCommit).
_batch: ContextVar[tuple[Origin, ...]] = ContextVar("dingdan_audit_batch", default=())


@contextlib.contextmanager
def opened(origin: Origin) -> Iterator[Origin]:
    token = _origin.set(origin)
    try:
        yield origin
    finally:
        _origin.reset(token)


def current() -> Origin | None:
    return _origin.get()


@contextlib.contextmanager
def on_behalf_of(origins: list[Origin | None]) -> Iterator[None]:
    """One transaction for the work of several requests: each staff member among them gets an
    entry for the events recorded in their name (matched by the events' actor)."""
    origin_token = _origin.set(None)
    batch_token = _batch.set(tuple(o for o in origins if o is not None and o.actor))
    try:
        yield
    finally:
        _batch.reset(batch_token)
        _origin.reset(origin_token)


def identify(actor: str) -> None:
    """The request is a staff member's: from now on its writes are audited."""
    origin = _origin.get()
    if origin is not None:
        origin.actor = actor


def describe(action: str, object_type: str = "", object_id: str = "") -> None:
    """Name the next entry's action and object instead of deriving them from the changes."""
    origin = _origin.get()
    if origin is not None:
        origin.described = (action, object_type, object_id[:64])


def watch(session: AsyncSession) -> None:
    """Start collecting the changes of this transaction (called by `Database.write`)."""
    if _origin.get() is not None:
        session.info[WATCH_KEY] = Changes()


async def write_entry(session: AsyncSession, pending_events: list[Any]) -> None:
    """Before commit: the entry for what this transaction changed, if a staff member did it."""
    batch = _batch.get()
    if batch:
        await _write_batch_entries(session, batch, pending_events)
        return
    if WATCH_KEY not in session.info:
        return
    origin = _origin.get()
    if origin is not None and origin.actor is not None and (session.new or session.dirty or session.deleted):
        await session.flush()  # so the diff holds what the commit would flush
    changes: Changes = session.info.pop(WATCH_KEY)
    if origin is None or origin.actor is None:
        return
    if not (pending_events or changes.rows or changes.statements):
        return
    action, object_type, object_id = origin.described or _derive(pending_events, changes, origin.path)
    origin.described = None
    details = {
        "events": [_event_view(e) for e in pending_events[:MAX_ITEMS]],
        "rows": changes.rows,
        "statements": changes.statements,
        "more": changes.more + max(0, len(pending_events) - MAX_ITEMS),
    }
    await record(session, origin, origin.actor, action, object_type, object_id, details)


async def _write_batch_entries(
    session: AsyncSession, batch: tuple[Origin, ...], pending_events: list[Any]
) -> None:
    """One entry per object changed in a staff member's name, with that member's origin. Two
    requests of one member in one batch share their origins in arrival order."""
    origins: dict[str, list[Origin]] = {}
    for origin in batch:
        origins.setdefault(str(origin.actor), []).append(origin)
    by_object: dict[tuple[str, str, str], list[Any]] = {}
    for pending in pending_events:
        if pending.actor in origins:
            key = (pending.actor, pending.aggregate_type, str(pending.aggregate_id))
            by_object.setdefault(key, []).append(pending)
    rows = []
    for (actor, object_type, object_id), recorded in by_object.items():
        mine = origins[actor]
        origin = mine.pop(0) if len(mine) > 1 else mine[0]
        details = {"events": [_event_view(e) for e in recorded[:MAX_ITEMS]], "together_with": len(batch) - 1}
        rows.append(_entry_row(origin, actor, recorded[0].topic, object_type, object_id, details))
    if rows:
        await session.execute(insert(AuditEntry), rows)


async def record(
    session: AsyncSession,
    origin: Origin,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    changes: dict[str, Any],
) -> None:
    await session.execute(
        insert(AuditEntry).values(_entry_row(origin, actor, action, object_type, object_id, changes))
    )


def _entry_row(
    origin: Origin, actor: str, action: str, object_type: str, object_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    return {
        "at": clock.now(),
        "actor": actor[:120],
        "action": action[:64],
        "object_type": object_type[:64],
        "object_id": object_id[:64],
        "ip": origin.ip[:64],
        "user_agent": origin.user_agent[:200],
        "method": origin.method[:8],
        "path": origin.path[:300],
        "changes": {k: v for k, v in changes.items() if v},
    }


def _derive(pending_events: list[Any], changes: Changes, path: str) -> tuple[str, str, str]:
    if pending_events:
        first = pending_events[0]
        return first.topic, first.aggregate_type, str(first.aggregate_id)
    if changes.rows:
        row = _row_named_by(changes.rows, path)
        return f"{row['table']}.{row['op']}", row["table"], str(row["id"])
    statement = changes.statements[0]
    return f"{statement['table']}.{statement['op']}", statement["table"], ""


def _row_named_by(rows: list[dict[str, Any]], path: str) -> dict[str, Any]:
    """The row the request is about: the one whose table the path names (`/products` ->
    `catalog_product`), else the first written. A product's new category is not the point."""
    for segment in reversed(path.strip("/").split("/")):
        noun = segment.replace("-", "_")
        noun = noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")
        for row in rows:
            if row["table"] == noun or row["table"].endswith("_" + noun):
                return row
    return rows[0]


def _event_view(pending: Any) -> dict[str, Any]:
    payload = pending.payload
    if len(json.dumps(payload, default=str)) > MAX_PAYLOAD_CHARS:
        payload = {"truncated": True}
    return {
        "topic": pending.topic,
        "object_type": pending.aggregate_type,
        "object_id": str(pending.aggregate_id),
        "payload": json.loads(json.dumps(payload, default=str)),
    }


def _plain(name: str, value: Any) -> Any:
    if any(word in name for word in SECRET_WORDS):
        return "[hidden]"
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _row_change(obj: Any, op: str) -> dict[str, Any] | None:
    state = inspect(obj)
    table = getattr(obj, "__tablename__", type(obj).__name__)
    identity = state.identity or state.mapper.primary_key_from_instance(obj)  # new rows: not yet mapped
    fields: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if op == "created":
            fields[attr.key] = _plain(attr.key, getattr(obj, attr.key, None))
        elif op == "updated" and history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            fields[attr.key] = [_plain(attr.key, before), _plain(attr.key, after)]
    if op == "updated" and not fields:
        return None
    return {"table": table, "id": "/".join(str(part) for part in identity), "op": op, "fields": fields}


@event.listens_for(Session, "after_flush")
def _collect_flushed(session: Session, _context: Any) -> None:
    changes: Changes | None = session.info.get(WATCH_KEY)
    if changes is None:
        return
    for objects, op in ((session.new, "created"), (session.dirty, "updated"), (session.deleted, "deleted")):
        for obj in objects:
            if len(changes.rows) >= MAX_ITEMS:
                changes.more += 1
                continue
            row = _row_change(obj, op)
            if row is not None:
                changes.add_row(row)


_VERBS = {"INSERT": "created", "UPDATE": "updated", "DELETE": "deleted"}


@event.listens_for(Session, "do_orm_execute")
def _collect_statement(state: ORMExecuteState) -> Result[Any] | None:
    changes: Changes | None = state.session.info.get(WATCH_KEY)
    if changes is None:
        return None
    written = _written_table(state)
    if written is None:
        return None
    result = None
    if written[1] != "created":  # an UPDATE or DELETE that matched nothing changed nothing
        result = state.invoke_statement()
        if getattr(result, "rowcount", -1) == 0:
            return result
    changes.add_statement({"table": written[0], "op": written[1]})
    return result


def _written_table(state: ORMExecuteState) -> tuple[str, str] | None:
    """(table, created|updated|deleted) for a statement that writes, else None."""
    statement = state.statement
    if isinstance(statement, TextClause):
        words = statement.text.split(None, 3)
        verb = words[0].upper() if words else ""
        if verb not in _VERBS or len(words) < 3:
            return None
        return (words[2] if verb in {"INSERT", "DELETE"} else words[1]), _VERBS[verb]
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    verb = "INSERT" if state.is_insert else "UPDATE" if state.is_update else "DELETE"
    return getattr(getattr(statement, "table", None), "name", ""), _VERBS[verb]
