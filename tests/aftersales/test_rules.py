"""After-sales rules without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dingdan.aftersales.rules import (
    FLOWS,
    RequestKind,
    RequestStatus,
    can_move,
    quantity_problems,
    refund_amount,
    within_window,
)
from dingdan.notifications.rules import to_e164

money = st.decimals(min_value=0, max_value=100_000, places=2)
quantities = st.dictionaries(st.integers(1, 5), st.integers(0, 10), max_size=5)


@given(ordered=quantities, already=quantities, asked=quantities)
def test_nothing_beyond_what_was_bought_passes(ordered, already, asked):
    refused = {line for line, _ in quantity_problems(ordered, already, asked)}
    for line, quantity in asked.items():
        fits = 1 <= quantity <= ordered.get(line, 0) - already.get(line, 0)
        assert (line not in refused) == fits


@given(
    kind=st.sampled_from(list(RequestKind)),
    total=money,
    refunded=money,
    prices=st.lists(st.tuples(money, st.integers(1, 5)), max_size=4),
)
def test_a_refund_never_exceeds_what_is_left_of_the_order(kind, total, refunded, prices):
    amount = refund_amount(kind, lines=prices, order_total=total, already_refunded=refunded)
    assert Decimal(0) <= amount <= max(total - refunded, Decimal(0))
    if kind is RequestKind.EXCHANGE:
        assert amount == 0


def test_every_kind_starts_requested_and_can_end_completed():
    for kind, flow in FLOWS.items():
        seen, frontier = set(), [RequestStatus.REQUESTED]
        while frontier:
            status = frontier.pop()
            seen.add(status)
            frontier += [n for n in flow.get(status, ()) if n not in seen]
        assert RequestStatus.COMPLETED in seen, kind
    assert not can_move(RequestKind.LOST_PARCEL, RequestStatus.APPROVED, RequestStatus.RECEIVED)
    assert not can_move(RequestKind.RETURN_REFUND, RequestStatus.COMPLETED, RequestStatus.REFUND_PENDING)


def test_the_window_includes_its_last_moment():
    delivered = datetime(2026, 3, 1, tzinfo=UTC)
    assert within_window(delivered, delivered + timedelta(days=7), 7)
    assert not within_window(delivered, delivered + timedelta(days=7, seconds=1), 7)


def test_taiwan_numbers_become_e164():
    assert to_e164("0912345678") == "+886912345678"
    assert to_e164("+886 912-345-678") == "+886912345678"
    assert to_e164("12") is None
