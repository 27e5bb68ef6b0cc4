"""Payment status and refund money rules (Decimal only)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingdan.payments.adapters.base import ProviderEventType
from dingdan.payments.errors import InvalidAmount, RefundExceedsCaptured
from dingdan.payments.rules import (
    CAPTURED_STATUSES,
    TRANSITIONS,
    PaymentStatus,
    can_transition,
    check_refund,
    ensure_amount,
    ensure_currency,
    refundable,
    status_after_payment_event,
    status_after_refunds,
)

amounts = st.decimals(min_value=0, max_value=10_000_000, places=2)
positive_amounts = st.decimals(min_value=Decimal("0.01"), max_value=100_000, places=2)
payment_events = st.sampled_from(
    [
        ProviderEventType.PAYMENT_SUCCEEDED,
        ProviderEventType.PAYMENT_FAILED,
        ProviderEventType.PAYMENT_EXPIRED,
    ]
)


@given(captured=amounts, refunded=amounts, pending=amounts)
def test_refundable_is_what_is_left_and_never_negative(
    captured: Decimal, refunded: Decimal, pending: Decimal
) -> None:
    left = refundable(captured, refunded, pending)
    assert left >= 0
    if refunded + pending <= captured:
        assert left + refunded + pending == captured
    else:
        assert left == 0


@given(captured=amounts, attempts=st.lists(positive_amounts, max_size=40))
def test_refunds_accepted_in_any_order_never_exceed_captured(
    captured: Decimal, attempts: list[Decimal]
) -> None:
    refunded = Decimal("0")
    for amount in attempts:
        remaining_before = captured - refunded
        try:
            remaining = check_refund(amount, captured=captured, refunded=refunded, pending=Decimal(0))
        except RefundExceedsCaptured as refused:
            assert amount > remaining_before
            assert refused.refundable == remaining_before
        else:
            refunded += amount
            assert remaining == captured - refunded
    assert refunded <= captured


def test_fifty_of_a_hundred_one_dollar_refunds_fit_into_fifty() -> None:
    captured, refunded, accepted = Decimal("50.00"), Decimal("0"), 0
    for _ in range(100):
        try:
            check_refund(Decimal("1.00"), captured=captured, refunded=refunded, pending=Decimal(0))
        except RefundExceedsCaptured:
            continue
        refunded += Decimal("1.00")
        accepted += 1
    assert (accepted, refunded) == (50, Decimal("50.00"))


def test_pending_refunds_count_against_what_is_refundable() -> None:
    with pytest.raises(RefundExceedsCaptured) as refused:
        check_refund(
            Decimal("10.00"),
            captured=Decimal("50.00"),
            refunded=Decimal("30.00"),
            pending=Decimal("15.00"),
        )
    assert refused.value.code == "refund-exceeds-captured"
    assert refused.value.refundable == Decimal("5.00")


@pytest.mark.parametrize("bad", ["0", "-1.00", "0.001", "NaN", "Infinity"])
def test_amount_must_be_positive_with_at_most_two_places(bad: str) -> None:
    with pytest.raises(InvalidAmount):
        ensure_amount(Decimal(bad))


@pytest.mark.parametrize("not_decimal", [1.5, 2, "3.00"])
def test_money_that_is_not_a_decimal_is_refused(not_decimal: object) -> None:
    with pytest.raises(TypeError):
        ensure_amount(not_decimal)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        refundable(not_decimal, Decimal(0), Decimal(0))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["twd", "NT$", "TW", ""])
def test_currency_must_be_an_iso_code(bad: str) -> None:
    with pytest.raises(InvalidAmount):
        ensure_currency(bad)


@given(
    start=st.sampled_from(list(CAPTURED_STATUSES)),
    events=st.lists(payment_events, max_size=10),
)
def test_a_captured_payment_never_goes_back_whatever_events_arrive(
    start: PaymentStatus, events: list[ProviderEventType]
) -> None:
    status = start
    for event in events:
        status = status_after_payment_event(status, event)
    assert status == start


@given(events=st.lists(payment_events, max_size=10))
def test_every_event_result_is_an_allowed_transition(events: list[ProviderEventType]) -> None:
    status = PaymentStatus.UNPAID
    for event in events:
        after = status_after_payment_event(status, event)
        assert after == status or can_transition(status, after)
        status = after


def test_a_pending_payment_follows_the_provider() -> None:
    pending = PaymentStatus.PENDING
    assert status_after_payment_event(pending, ProviderEventType.PAYMENT_SUCCEEDED) == "paid"
    assert status_after_payment_event(pending, ProviderEventType.PAYMENT_FAILED) == "failed"
    assert status_after_payment_event(pending, ProviderEventType.PAYMENT_EXPIRED) == "unpaid"


def test_a_failed_payment_can_still_be_paid() -> None:
    failed = PaymentStatus.FAILED
    assert status_after_payment_event(failed, ProviderEventType.PAYMENT_SUCCEEDED) == "paid"


def test_refund_events_are_not_payment_events() -> None:
    with pytest.raises(ValueError):
        status_after_payment_event(PaymentStatus.PAID, ProviderEventType.REFUND_SUCCEEDED)


@pytest.mark.parametrize(
    ("refunded", "status"),
    [
        ("0", "paid"),
        ("0.01", "partially_refunded"),
        ("49.99", "partially_refunded"),
        ("50.00", "refunded"),
    ],
)
def test_status_follows_the_refunded_total(refunded: str, status: str) -> None:
    assert status_after_refunds(Decimal("50.00"), Decimal(refunded)) == status


def test_refunded_is_final() -> None:
    assert TRANSITIONS[PaymentStatus.REFUNDED] == frozenset()
    assert not any(can_transition(PaymentStatus.REFUNDED, target) for target in PaymentStatus)
