"""Allocation across warehouses, without a database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dingdan.inventory.rules import (
    Allocation,
    Level,
    allocate,
    allocate_in_turn,
    crossed_low_stock,
    total_demand,
)


def level(sku: str, wid: int, on_hand: int, reserved: int = 0, priority: int = 10) -> Level:
    return Level(sku, wid, priority, on_hand, reserved)


def test_one_warehouse_that_covers_the_line_takes_it_whole():
    plan = allocate({"A": 5}, [level("A", 1, 3, priority=1), level("A", 2, 9, priority=2)])
    assert [(a.warehouse_id, a.quantity) for a in plan.allocations] == [(2, 5)]
    assert plan.complete


def test_priority_decides_between_warehouses_that_both_cover():
    plan = allocate({"A": 2}, [level("A", 1, 9, priority=5), level("A", 2, 9, priority=1)])
    assert [(a.warehouse_id, a.quantity) for a in plan.allocations] == [(2, 2)]


def test_split_by_priority_when_no_single_warehouse_covers():
    plan = allocate({"A": 10}, [level("A", 1, 4, priority=1), level("A", 2, 5, 1, priority=2)])
    assert [(a.warehouse_id, a.quantity) for a in plan.allocations] == [(1, 4), (2, 4)]
    assert plan.shortages == {"A": 2}


def test_s_inv_2_two_lines_of_one_sku_are_one_demand():
    assert total_demand([("A", 3), ("B", 1), ("A", 3)]) == {"A": 6, "B": 1}
    plan = allocate(total_demand([("A", 3), ("A", 3)]), [level("A", 1, 5)])
    assert plan.shortages == {"A": 1}


def test_low_stock_is_raised_only_when_crossing():
    assert crossed_low_stock(6, 5, 5)
    assert not crossed_low_stock(5, 4, 5)
    assert not crossed_low_stock(9, 6, 5)


levels_strategy = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 20), st.integers(0, 20), st.integers(0, 3)),
    min_size=0,
    max_size=4,
    unique_by=lambda t: t[0],
)


@given(levels_strategy, st.integers(1, 60))
def test_allocation_never_takes_more_than_is_available_and_accounts_for_every_unit(raw, wanted):
    levels = [level("A", wid, max(on_hand, reserved), reserved, prio) for wid, on_hand, reserved, prio in raw]
    plan = allocate({"A": wanted}, levels)
    by_wh = {lv.warehouse_id: lv for lv in levels}
    for a in plan.allocations:
        assert 0 < a.quantity <= by_wh[a.warehouse_id].available
    assert sum(a.quantity for a in plan.allocations) + plan.shortages.get("A", 0) == wanted
    assert plan.complete == (sum(max(lv.available, 0) for lv in levels) >= wanted) or plan.complete


def test_orders_placed_together_are_served_in_turn_as_if_alone():
    levels = [Level("TEA", 1, 10, on_hand=5, reserved=0)]
    first, second, third = allocate_in_turn(
        [({"TEA": 3}, False), ({"TEA": 3}, False), ({"TEA": 2}, False)], levels
    )
    assert first.allocations == [Allocation("TEA", 1, 3)]
    assert second.shortages == {"TEA": 1}  # refused: it takes nothing ...
    assert third.allocations == [Allocation("TEA", 1, 2)]  # ... so the third still gets the last two


def test_a_backorder_order_in_a_group_takes_what_is_left_and_waits_for_the_rest():
    levels = [Level("TEA", 1, 10, on_hand=4, reserved=1)]
    first, second = allocate_in_turn([({"TEA": 2}, False), ({"TEA": 3}, True)], levels)
    assert first.allocations == [Allocation("TEA", 1, 2)]
    assert second.allocations == [Allocation("TEA", 1, 1)] and second.shortages == {"TEA": 2}


demands_strategy = st.lists(
    st.tuples(
        st.dictionaries(st.sampled_from("ABC"), st.integers(1, 9), min_size=1, max_size=3), st.booleans()
    ),
    max_size=8,
)
multi_sku_levels = st.lists(
    st.tuples(st.sampled_from("ABCD"), st.integers(1, 3), st.integers(0, 12), st.integers(0, 3)),
    max_size=10,
    unique_by=lambda t: (t[0], t[1]),
)


@given(multi_sku_levels, demands_strategy)
def test_a_batch_allocated_in_turn_equals_each_order_placed_alone_after_the_one_before(raw, demands):
    levels = [level(sku, wid, on_hand, 0, prio) for sku, wid, on_hand, prio in raw]
    plans = allocate_in_turn(demands, levels)
    current = {(lv.sku, lv.warehouse_id): lv for lv in levels}
    for (demand, allow_shortage), plan in zip(demands, plans, strict=True):
        alone = allocate(demand, list(current.values()))  # every level of the shop, not the batch's
        assert plan == alone
        if allow_shortage or alone.complete:
            for a in alone.allocations:
                lv = current[(a.sku, a.warehouse_id)]
                current[(a.sku, a.warehouse_id)] = Level(
                    lv.sku, lv.warehouse_id, lv.priority, lv.on_hand, lv.reserved + a.quantity
                )
