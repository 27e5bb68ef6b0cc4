"""Date ranges: whole months plus loose days cover a range exactly once; buckets and the
previous period line up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingdan.reports.errors import InvalidDateRange
from dingdan.reports.periods import (
    Granularity,
    Period,
    bucket_of,
    buckets,
    next_month,
    parse_period,
    split_by_month,
)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
periods = st.tuples(days, st.integers(0, 800)).map(lambda t: Period(t[0], t[0] + timedelta(days=t[1])))


@given(periods)
def test_months_and_loose_days_cover_the_range_once(period):
    split = split_by_month(period)
    covered: list[date] = []
    for loose in split.loose:
        covered.extend(loose.each_day())
    month = split.first_month
    while month is not None and split.last_month is not None and month <= split.last_month:
        covered.extend(Period(month, next_month(month) - timedelta(days=1)).each_day())
        month = next_month(month)
    assert sorted(covered) == list(period.each_day())


@given(periods, st.sampled_from(list(Granularity)))
def test_every_day_falls_in_one_listed_bucket(period, granularity):
    starts = buckets(period, granularity)
    assert starts == sorted(set(starts))
    assert {bucket_of(day, granularity) for day in period.each_day()} == set(starts)


@given(periods)
def test_previous_period_has_the_same_length_and_ends_the_day_before(period):
    previous = period.previous()
    assert previous.days == period.days
    assert previous.end + timedelta(days=1) == period.start


def test_default_range_is_the_last_30_days():
    assert parse_period(None, None, today=date(2025, 5, 31)) == Period(date(2025, 5, 2), date(2025, 5, 31))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2025, 5, 2), date(2025, 5, 1), "to"),
        (date(2020, 1, 1), date(2025, 1, 1), "from"),
        (date(9999, 12, 31), None, "from"),
        (None, date(1, 1, 1), "to"),
    ],
)
def test_bad_ranges_name_the_field(start, end, field):
    with pytest.raises(InvalidDateRange) as refused:
        parse_period(start, end, today=date(2025, 5, 31))
    assert refused.value.field == field
