"""Customer-service messages about an order; each one is also an entry in the order's timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.aftersales import threads
from dingdan.aftersales.threads import AuthorKind
from dingdan.orders import service as orders
from dingdan.workflows.customer_access import CustomerRef, get_owned_order

EXCERPT = 200


async def _post(
    session: AsyncSession, *, order_number: str, kind: AuthorKind, actor: str, author: str, body: str
) -> dict[str, Any]:
    message = await threads.add_message(
        session, order_number=order_number, author_kind=kind, author=author, body=body
    )
    await orders.record_timeline(
        session, order_number, "order.message_posted", actor,
        message=message.id, author_kind=kind.value, excerpt=message.body[:EXCERPT],
    )  # fmt: skip
    return threads.message_view(message)


async def post_customer_message(
    session: AsyncSession, *, order_number: str, customer: CustomerRef, body: str
) -> dict[str, Any]:
    order = await get_owned_order(session, number=order_number, customer=customer)
    return await _post(
        session, order_number=order_number, kind=AuthorKind.CUSTOMER, actor=customer.actor,
        author=order["customer_name"], body=body,
    )  # fmt: skip


async def post_staff_reply(
    session: AsyncSession, *, order_number: str, actor: str, body: str
) -> dict[str, Any]:
    await orders.get_order_row(session, number=order_number)
    return await _post(
        session, order_number=order_number, kind=AuthorKind.STAFF, actor=actor, author=actor, body=body
    )


async def customer_messages(
    session: AsyncSession, *, order_number: str, customer: CustomerRef
) -> list[dict[str, Any]]:
    await get_owned_order(session, number=order_number, customer=customer)
    return [threads.message_view(m) for m in await threads.list_messages(session, order_number=order_number)]
