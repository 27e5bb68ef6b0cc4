"""A customer's hold on an order: the account that placed it, or (guest orders, until the
order is claimed by an account) the phone it was placed with. Anything else is "not found",
so a stranger learns nothing about the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import service as orders
from dingdan.orders.errors import OrderNotFound
from dingdan.orders.rules import normalize_phone
from dingdan.platform import events


@dataclass(frozen=True)
class CustomerRef:
    customer_id: int | None = None
    phone: str | None = None
    label: str = ""

    @property
    def actor(self) -> str:
        if self.label:
            return f"customer:{self.label}"
        return f"customer:{self.customer_id}" if self.customer_id is not None else "customer:guest"


def owns(order: RowMapping, customer: CustomerRef) -> bool:
    if customer.customer_id is not None and order["customer_id"] == customer.customer_id:
        return True
    guest_order = order["customer_id"] is None
    return bool(guest_order and customer.phone and normalize_phone(customer.phone) == order["customer_phone"])


async def get_owned_order(
    session: AsyncSession, *, number: str, customer: CustomerRef, for_update: bool = False
) -> RowMapping:
    try:
        order = await orders.get_order_row(session, number=number, for_update=for_update)
    except OrderNotFound:
        order = None
    if order is None or not owns(order, customer):
        raise OrderNotFound("no order {number}", params={"number": number}, field="number")
    return order


async def status_reached_at(
    session: AsyncSession, *, number: str, topics: tuple[str, ...]
) -> datetime | None:
    """When the order last reached one of the statuses (from its timeline)."""
    found = [e.created_at for e in await events.list_for(session, "order", number) if e.topic in topics]
    return found[-1] if found else None
