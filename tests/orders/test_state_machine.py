"""The order state machine, exhaustively: every pair of statuses."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from dingdan.orders.states import TAB_OF, TRANSITIONS, OrderStatus, Tab, can_transition, statuses_in_tab

ALLOWED = {
    ("pending_payment", "pending_review"),
    ("pending_payment", "confirmed"),
    ("pending_payment", "cancelled"),
    ("pending_review", "confirmed"),
    ("pending_review", "cancelled"),
    ("confirmed", "pending_review"),
    ("confirmed", "partially_shipped"),
    ("confirmed", "shipped"),
    ("confirmed", "cancelled"),
    ("partially_shipped", "shipped"),
    ("partially_shipped", "confirmed"),
    ("shipped", "partially_shipped"),
    ("shipped", "confirmed"),
    ("shipped", "delivered"),
    ("delivered", "completed"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OrderStatus, OrderStatus)))
def test_s_fuzz_3_only_documented_transitions_are_allowed(current, target):
    assert can_transition(current, target) == ((current.value, target.value) in ALLOWED)


def test_terminal_statuses_go_nowhere():
    assert TRANSITIONS[OrderStatus.COMPLETED] == frozenset()
    assert TRANSITIONS[OrderStatus.CANCELLED] == frozenset()


def test_every_status_falls_in_exactly_one_customer_tab():
    assert set(TAB_OF) == set(OrderStatus)
    assert sorted(s for tab in Tab for s in statuses_in_tab(tab)) == sorted(OrderStatus)


def test_nothing_leaves_shipping_for_cancellation():
    for status in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        assert not can_transition(status, OrderStatus.CANCELLED)


def test_the_documented_table_matches_the_code():
    doc = Path("docs/order-states.md").read_text(encoding="utf-8")
    for current, target in ALLOWED:
        assert f"{current} --> {target}" in doc
