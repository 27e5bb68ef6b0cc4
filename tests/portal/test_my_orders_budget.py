"""My orders stays a fixed, small number of statements with thousands of orders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from dingdan.orders import service as orders
from dingdan.platform.db import StatementCounter
from factories.shop import make_sku
from portal.conftest import place_mine

MANY = 2500
BUDGET = 4  # orders page, its lines with their images, tab counts, the token check


async def _clone_orders(db, number: str, count: int) -> None:
    """`count` copies of one order for the same customer, written in bulk."""

    async def run(session):
        order = dict(
            (await session.execute(select(orders.ORDERS).where(orders.ORDERS.c.number == number)))
            .mappings()
            .one()
        )
        lines = [
            dict(r)
            for r in (
                await session.execute(select(orders.LINES).where(orders.LINES.c.order_id == order["id"]))
            ).mappings()
        ]
        statuses = ["pending_payment", "confirmed", "shipped", "completed", "cancelled"]
        rows = []
        for i in range(count):
            copy = {k: v for k, v in order.items() if k != "id"}
            copy.update(
                number=f"{number[:7]}{i:08d}"[:15],
                external_id=None,
                idempotency_key=None,
                idempotency_scope=None,
                status=statuses[i % len(statuses)],
                created_at=order["created_at"] - timedelta(minutes=count - i),
            )
            rows.append(copy)
        for start in range(0, count, 500):
            ids = (
                await session.execute(
                    insert(orders.ORDERS).values(rows[start : start + 500]).returning(orders.ORDERS.c.id)
                )
            ).scalars()
            await session.execute(
                insert(orders.LINES).values(
                    [
                        {**{k: v for k, v in ln.items() if k not in {"id", "order_id"}}, "order_id": oid}
                        for oid in ids
                        for ln in lines
                    ]
                )
            )

    await db.write(run)


async def test_my_orders_costs_the_same_few_statements_with_thousands_of_orders(client, db, customer):
    sku = await make_sku(db, stock=10)
    me = await customer()
    first = await place_mine(client, me, (sku, 1))
    await _clone_orders(db, first["number"], MANY)
    await client.get("/api/v1/me/orders", headers=me)  # warms the token cache like any session
    # SQLite reads through an engine of their own; PostgreSQL reads share the writer's pool.
    engines = [db.write_engine, db.read_engine] if db.is_sqlite else [db.write_engine]
    counters = [StatementCounter(engine) for engine in engines]
    for counter in counters:
        counter.__enter__()
    try:
        page = (await client.get("/api/v1/me/orders?limit=20", headers=me)).json()
        first_page_cost = sum(c.count for c in counters)
        later = (
            await client.get(
                f"/api/v1/me/orders?limit=20&tab=completed&cursor={page['next_cursor']}", headers=me
            )
        ).json()
        total_cost = sum(c.count for c in counters)
    finally:
        for counter in counters:
            counter.__exit__()
    assert page["counts"]["all"] == MANY + 1
    assert page["counts"]["completed"] == MANY // 5
    assert len(page["items"]) == 20 and len(later["items"]) == 20
    assert first_page_cost <= BUDGET
    assert total_cost - first_page_cost == first_page_cost  # page N costs what page 1 costs
