"""`rollup_reads`: the monthly and signed daily rows it names cover every day of the period
exactly once and no day outside it."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dingdan.reports.periods import Period, next_month, rollup_reads

starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@given(start=starts, length=st.integers(0, 800))
def test_every_day_of_the_period_is_counted_once_and_no_other(start, length):
    period = Period(start, start + timedelta(days=length))
    reads = rollup_reads(period)
    window = Period(start - timedelta(days=40), period.end + timedelta(days=40))
    for day in window.each_day():
        in_months = sum(1 for month in reads.months if month <= day < next_month(month))
        in_days = sum(sign for run, sign in reads.days if run.start <= day <= run.end)
        assert in_months + in_days == int(period.start <= day <= period.end), day


def test_the_month_to_date_is_the_month_minus_the_days_to_come():
    reads = rollup_reads(Period(date(2025, 11, 26), date(2026, 11, 25)))
    assert date(2026, 11, 1) in reads.months
    assert (Period(date(2026, 11, 26), date(2026, 11, 30)), -1) in reads.days
    assert (Period(date(2025, 11, 26), date(2025, 11, 30)), 1) in reads.days


@given(start=starts, length=st.integers(62, 800))
def test_a_long_range_reads_at_most_half_a_month_of_days_at_each_end(start, length):
    reads = rollup_reads(Period(start, start + timedelta(days=length)))
    assert len(reads.days) <= 3
    assert all(run.days <= 16 for run, _sign in reads.days)
