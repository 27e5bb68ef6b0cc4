"""Orders walked to delivered or completed, the way shipping and the customer would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.clock import FrozenClock
from dingdan.platform.db import Database
from dingdan.workflows.customer_access import CustomerRef
from factories.shop import make_sku, order_body

OWNER = CustomerRef(phone="0912345678", label="ming")
STRANGER = CustomerRef(phone="0987654321", label="other")


@pytest.fixture
def frozen() -> FrozenClock:
    frozen_clock = FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    clock.set_clock(frozen_clock)
    return frozen_clock


async def move(db: Database, number: str, *steps: OrderStatus) -> None:
    async def walk(session: Any) -> None:
        for step in steps:
            order = await orders.get_order_row(session, number=number, for_update=True)
            await orders.transition(session, order=order, to=step, actor="test")

    await db.write(walk)


async def delivered_order(client: Any, db: Database, login: Any, *lines: tuple[str, int]) -> dict[str, Any]:
    """A web cash-on-delivery order (confirmed at once), shipped and delivered."""
    if not lines:
        lines = (
            ((await make_sku(db, stock=10, price="400")), 2),
            ((await make_sku(db, stock=5, price="250")), 1),
        )
    response = await client.post("/api/v1/orders", json=order_body(*lines), headers=await login("clerk"))
    assert response.status_code == 201, response.text
    order = response.json()
    await move(db, order["number"], OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    return order
