"""Random sequences of orders, cancellations and adjustments never break the stock invariant,
and the ledger always sums to the levels — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dingdan.inventory import service as inventory
from dingdan.inventory.models import StockLevel
from dingdan.orders.schemas import OrderIn
from dingdan.platform.errors import DomainError
from dingdan.workflows.cancel_order import cancel_order
from dingdan.workflows.place_order import Intake, submit_order
from factories.shop import make_sku, order_body

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("order"),
            st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4)), min_size=1, max_size=4),
        ),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("adjust"), st.tuples(st.integers(0, 2), st.integers(-6, 8))),
    ),
    min_size=1,
    max_size=25,
)
_runs = itertools.count()


async def check_invariants(db) -> None:
    async with db.read() as session:
        levels = (await session.execute(select(StockLevel))).scalars().all()
        assert all(0 <= lv.reserved <= lv.on_hand for lv in levels)
        assert await inventory.ledger_drift(session) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
async def test_s_inv_3_random_orders_cancels_and_adjustments_keep_stock_whole(db, ops):
    run = next(_runs)
    skus = [await make_sku(db, stock=5, sku=f"PROP-{run}-{i}") for i in range(3)]
    placed: list[str] = []
    for op, arg in ops:
        try:
            if op == "order":
                body = order_body(*[(skus[i], qty) for i, qty in arg])
                body["customer"]["phone"] = f"09{len(placed):08d}"
                done = await submit_order(
                    db, request=OrderIn.model_validate(body), intake=Intake("test", "test")
                )
                placed.append(done.body["number"])
            elif op == "cancel" and placed:
                await db.write(cancel_order, number=placed[arg % len(placed)], actor="test", reason="")
            elif op == "adjust":
                index, delta = arg
                if delta:
                    await db.write(
                        inventory.adjust, sku=skus[index], delta=delta, reason="count", actor="test"
                    )
        except DomainError as refused:
            assert refused.status in (409, 422)
        await check_invariants(db)
