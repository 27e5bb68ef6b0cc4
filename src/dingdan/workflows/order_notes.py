"""Internal notes on an order: staff-only remarks kept in the order's timeline."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.platform.errors import InvalidInput

MAX_NOTE = 1000


class EmptyNote(InvalidInput):
    code = "empty-note"
    title = "The note is empty"


async def add_note(session: AsyncSession, *, number: str, text: str, actor: str, kind: str = "note") -> None:
    """`kind` says what the note is about ("note", or "price_override" for a manual price)."""
    note = text.strip()
    if not note:
        raise EmptyNote("write something in the note", field="note")
    await orders.record_timeline(session, number, "order.note_added", actor, note=note[:MAX_NOTE], kind=kind)
