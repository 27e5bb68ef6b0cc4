"""Dedupe keys and the retry back-off schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingdan.notifications.rules import (
    Channel,
    RetryPolicy,
    dedupe_key,
    next_attempt_at,
    retry_delay,
    retry_schedule,
)

FAILED_AT = datetime(2025, 6, 8, 6, 0, tzinfo=UTC)
texts = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s)


def test_the_same_delivery_always_has_the_same_key() -> None:
    first = dedupe_key("evt_1", Channel.EMAIL, "Wang@Example.com")
    assert first == dedupe_key("evt_1", "email", " wang@example.com ")
    assert len(first) == len("n1:") + 64


def test_channels_and_recipients_are_separate_deliveries() -> None:
    keys = {
        dedupe_key("evt_1", Channel.EMAIL, "wang@example.com"),
        dedupe_key("evt_1", Channel.SMS, "+886912345678"),
        dedupe_key("evt_1", Channel.EMAIL, "lin@example.com"),
        dedupe_key("evt_2", Channel.EMAIL, "wang@example.com"),
    }
    assert len(keys) == 4


@given(
    a=st.tuples(texts, st.sampled_from(list(Channel)), texts),
    b=st.tuples(texts, st.sampled_from(list(Channel)), texts),
)
def test_different_deliveries_never_share_a_key(
    a: tuple[str, Channel, str], b: tuple[str, Channel, str]
) -> None:
    def canonical(t: tuple[str, Channel, str]) -> tuple[str, Channel, str]:
        return (t[0], t[1], t[2].lower() if t[1] is Channel.EMAIL else t[2])

    same = canonical(a) == canonical(b)
    assert (dedupe_key(*a) == dedupe_key(*b)) is same


def test_separators_inside_parts_do_not_collide() -> None:
    assert dedupe_key("a:b", Channel.SMS, "c") != dedupe_key("a", Channel.SMS, "b:c")


def test_empty_recipient_or_event_is_refused() -> None:
    with pytest.raises(ValueError):
        dedupe_key("evt_1", Channel.SMS, "  ")
    with pytest.raises(ValueError):
        dedupe_key("", Channel.SMS, "+886912345678")


def test_default_schedule_doubles_from_thirty_seconds_up_to_six_hours() -> None:
    schedule = retry_schedule()
    assert schedule[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert len(schedule) == 9
    assert max(schedule) <= timedelta(hours=6)


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    base_seconds=st.integers(min_value=1, max_value=3600),
    factor=st.integers(min_value=1, max_value=5),
)
def test_delays_grow_and_stay_under_the_cap(attempt: int, base_seconds: int, factor: int) -> None:
    policy = RetryPolicy(base=timedelta(seconds=base_seconds), factor=factor)
    delay = retry_delay(attempt, policy)
    assert delay <= policy.max_delay
    assert retry_delay(attempt + 1, policy) >= delay


@given(draw=st.floats(min_value=0, max_value=0.999), attempt=st.integers(1, 9))
def test_jitter_stretches_the_delay_by_at_most_its_fraction(draw: float, attempt: int) -> None:
    at = next_attempt_at(FAILED_AT, attempt, jitter_draw=draw)
    assert at is not None
    delay = retry_delay(attempt)
    assert FAILED_AT + delay <= at <= FAILED_AT + delay * 1.1


def test_gives_up_after_the_last_attempt_or_a_permanent_failure() -> None:
    assert next_attempt_at(FAILED_AT, 9) is not None
    assert next_attempt_at(FAILED_AT, 10) is None
    assert next_attempt_at(FAILED_AT, 1, permanent=True) is None


def test_a_policy_must_make_sense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base=timedelta(0))
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)
