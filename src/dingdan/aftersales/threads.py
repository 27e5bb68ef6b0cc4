"""Customer-service threads: one per order, the customer asks and staff answer."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales.models import Message, Thread
from dingdan.platform import clock
from dingdan.platform.errors import InvalidInput, NotFound

MAX_BODY = 2000


class ThreadStatus(StrEnum):
    WAITING_FOR_STAFF = "waiting_for_staff"
    ANSWERED = "answered"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


async def add_message(
    session: AsyncSession, *, order_number: str, author_kind: AuthorKind, author: str, body: str
) -> Message:
    text = body.strip()
    if not text or len(text) > MAX_BODY:
        raise InvalidInput(
            "a message is 1 to {max_body} characters", params={"max_body": MAX_BODY}, field="body"
        )
    at = clock.now()
    thread = await session.scalar(select(Thread).where(Thread.order_number == order_number))
    if thread is None:
        thread = Thread(order_number=order_number, created_at=at)
        session.add(thread)
    thread.status = (
        ThreadStatus.WAITING_FOR_STAFF if author_kind is AuthorKind.CUSTOMER else ThreadStatus.ANSWERED
    ).value
    thread.last_message_at = at
    await session.flush()
    message = Message(
        thread_id=thread.id, author_kind=author_kind.value, author=author, body=text, created_at=at
    )
    session.add(message)
    await session.flush()
    return message


async def list_messages(session: AsyncSession, *, order_number: str) -> list[Message]:
    stmt = (
        select(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .where(Thread.order_number == order_number)
        .order_by(Message.id)
    )
    return list((await session.execute(stmt)).scalars())


async def list_threads(
    session: AsyncSession, *, status: ThreadStatus | None = None, limit: int = 50
) -> list[Thread]:
    """The staff queue: oldest waiting first when filtered, else most recent first."""
    stmt = select(Thread).limit(limit)
    if status is not None:
        stmt = stmt.where(Thread.status == status.value).order_by(Thread.last_message_at)
    else:
        stmt = stmt.order_by(Thread.last_message_at.desc())
    return list((await session.execute(stmt)).scalars())


async def get_thread(session: AsyncSession, *, order_number: str) -> Thread:
    found = await session.scalar(select(Thread).where(Thread.order_number == order_number))
    if found is None:
        raise NotFound(
            "order {order_number} has no messages", params={"order_number": order_number}, field="number"
        )
    return found


def message_view(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "author_kind": message.author_kind,
        "author": message.author,
        "body": message.body,
        "at": message.created_at.isoformat(),
    }


def thread_view(thread: Thread) -> dict[str, Any]:
    return {
        "order_number": thread.order_number,
        "status": thread.status,
        "last_message_at": thread.last_message_at.isoformat(),
    }
