"""Orders that arrive together are placed together (one transaction, the statements of one
order), and each still gets the answer it would have got alone — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import pytest

from dingdan.catalog.errors import UnknownSku
from dingdan.inventory.errors import OutOfStock
from dingdan.orders.schemas import OrderIn
from dingdan.platform.db import StatementCounter
from dingdan.workflows.place_order import DiscountTooLarge, Intake, place_order, submit_order
from factories.shop import make_sku, order_body, stock_of


def request(*lines: tuple[str, int], phone: str = "0912345678", **extra: object) -> OrderIn:
    body = order_body(*lines, **extra)
    body["customer"]["phone"] = phone
    return OrderIn.model_validate(body)


async def test_orders_arriving_together_share_their_statements(db):
    sku = await make_sku(db, stock=100)
    orders = [request((sku, 1), phone=f"09{n:08d}") for n in range(24)]
    with StatementCounter(db.write_engine) as counter:
        placed = await asyncio.gather(*(submit_order(db, request=o, intake=Intake("t", "t")) for o in orders))
    assert len({p.body["number"] for p in placed}) == 24
    assert await stock_of(db, sku) == (100, 24, 76)
    assert counter.count <= 8 * 4, counter.count  # alone, 24 orders would take 8 × 24


async def test_each_order_of_a_group_gets_its_own_answer(db):
    sku, other = await make_sku(db, stock=3), await make_sku(db, stock=5)
    intake = Intake("t", "t", idempotency_key="same-key")
    attempts = [
        submit_order(db, request=request((sku, 2)), intake=intake),
        submit_order(db, request=request((sku, 2), phone="0911111111"), intake=Intake("t", "t")),
        submit_order(db, request=request((sku, 1), phone="0922222222"), intake=Intake("t", "t")),
        submit_order(db, request=request(("NO-SUCH-SKU", 1)), intake=Intake("t", "t")),
        submit_order(db, request=request((sku, 2)), intake=intake),  # the first one, retried
        submit_order(db, request=request((other, 1), discount="9999"), intake=Intake("t", "t")),
        submit_order(db, request=request((other, 2), phone="0933333333"), intake=Intake("t", "t")),
    ]
    first, loser, third, unknown, retry, too_generous, last = await asyncio.gather(
        *attempts, return_exceptions=True
    )
    assert first.created and not retry.created and retry.body == first.body
    assert isinstance(loser, OutOfStock)
    assert third.created and last.created
    assert isinstance(unknown, UnknownSku) and unknown.field == "/lines/0/sku"
    assert isinstance(too_generous, DiscountTooLarge)
    assert await stock_of(db, sku) == (3, 3, 0)
    assert await stock_of(db, other) == (5, 2, 3)


@pytest.mark.parametrize("units", [7])
async def test_s_inv_1_a_crowd_for_a_few_units_gets_exactly_them_in_groups(db, units):
    sku = await make_sku(db, stock=units)
    buyers = [request((sku, 1), phone=f"09{n:08d}") for n in range(40)]
    results = await asyncio.gather(
        *(submit_order(db, request=b, intake=Intake("t", "t")) for b in buyers), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == units
    assert all(isinstance(r, OutOfStock) for r in results if isinstance(r, BaseException))
    assert await stock_of(db, sku) == (units, units, 0)


async def test_placing_one_order_is_eight_statements_whatever_its_size(db):
    skus = [await make_sku(db, stock=100) for _ in range(5)]
    await submit_order(db, request=request((skus[0], 1)), intake=Intake("t", "t"))  # warm caches
    counts = []
    for size in (1, 5):
        order = request(*[(s, 1) for s in skus[:size]], phone=f"091100000{size}")
        with StatementCounter(db.write_engine) as counter:
            await submit_order(db, request=order, intake=Intake("t", "t"))
        counts.append(counter.count)
    assert counts == [8, 8]


async def test_s_inv_4_a_hundred_clients_on_ten_skus_in_random_line_order_meet_no_deadlock(db):
    skus = [await make_sku(db, stock=1000) for _ in range(10)]
    shuffler = random.Random(4)

    def order(n: int) -> OrderIn:
        picked = shuffler.sample(skus, k=shuffler.randint(2, 6))  # a random line order each time
        return request(*[(sku, 1) for sku in picked], phone=f"09{n:08d}")

    orders = [order(n) for n in range(100)]
    # Each order in its own transaction (not grouped), so that they really contend for the rows.
    results = await asyncio.gather(
        *(
            db.write(place_order, request=o, intake=Intake("t", "t"), fingerprint=str(n))
            for n, o in enumerate(orders)
        ),
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    wanted = {sku: sum(1 for o in orders for ln in o.lines if ln.sku == sku) for sku in skus}
    for sku in skus:
        assert await stock_of(db, sku) == (1000, wanted[sku], 1000 - wanted[sku])
