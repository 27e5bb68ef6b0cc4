"""Date ranges and buckets: pure, in the shop's local days. Ranges include both ends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from dingdan.reports.errors import InvalidDateRange

MAX_DAYS = 3 * 366 + 1
DEFAULT_DAYS = 30


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday first
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def each_day(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)


def parse_period(start: date | None, end: date | None, *, today: date) -> Period:
    """The range asked for; defaults to the last 30 days ending today. Bad ranges name the field."""
    for value, field in ((start, "from"), (end, "to")):
        if value is not None and not 2000 <= value.year <= 2999:
            raise InvalidDateRange("dates must fall between the years 2000 and 2999", field=field)
    end = end or (today if start is None else min(today, start + timedelta(days=DEFAULT_DAYS - 1)))
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidDateRange("`to` is before `from`", field="to")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidDateRange(
            "a report covers at most {max_days} days", params={"max_days": MAX_DAYS}, field="from"
        )
    return Period(start, end)


def bucket_of(day: date, granularity: Granularity) -> date:
    """The first day of the bucket holding `day`."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def buckets(period: Period, granularity: Granularity) -> list[date]:
    """The starts of every bucket that overlaps the period, in order."""
    seen: dict[date, None] = {}
    for day in period.each_day():
        seen.setdefault(bucket_of(day, granularity), None)
    return list(seen)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class MonthSplit:
    """A period as whole months (read from monthly rollups) plus the loose days at its ends."""

    first_month: date | None
    last_month: date | None
    loose: tuple[Period, ...]


def split_by_month(period: Period) -> MonthSplit:
    first = period.start if period.start.day == 1 else next_month(period.start.replace(day=1))
    after_last = next_month(period.end.replace(day=1))
    end_is_month_end = period.end + timedelta(days=1) == after_last
    last = period.end.replace(day=1) if end_is_month_end else period.end.replace(day=1) - timedelta(days=1)
    last = last.replace(day=1)
    if first > last or first > period.end:
        return MonthSplit(None, None, (period,))
    loose = []
    if period.start < first:
        loose.append(Period(period.start, first - timedelta(days=1)))
    after = next_month(last)
    if after <= period.end:
        loose.append(Period(after, period.end))
    return MonthSplit(first, last, tuple(loose))


@dataclass(frozen=True)
class RollupReads:
    """The rollup rows whose sum is a period: whole months (monthly rows) and runs of days
    (daily rows), each run added (+1) or subtracted (−1)."""

    months: tuple[date, ...]
    days: tuple[tuple[Period, int], ...]


def rollup_reads(period: Period) -> RollupReads:
    """Like `split_by_month`, but a loose end that covers most of its month is read as the
    month minus the days it leaves out: the month to date is the month minus days not yet
    come, which hold no rows. A year's range then reads about 12 monthly rows per key and
    at most about 15 daily rows per key at each end."""
    split = split_by_month(period)
    months: list[date] = []
    month = split.first_month
    while month is not None and split.last_month is not None and month <= split.last_month:
        months.append(month)
        month = next_month(month)
    days: list[tuple[Period, int]] = []
    for part in split.loose:
        whole, rest = _month_minus_rest(part)
        if whole is None:
            days.append((part, 1))
        else:
            months.append(whole)
            days.extend((gap, -1) for gap in rest)
    return RollupReads(tuple(months), tuple(days))


def _month_minus_rest(part: Period) -> tuple[date | None, list[Period]]:
    """(the month, the days of it outside `part`) when that is fewer days than `part`."""
    month = part.start.replace(day=1)
    after = next_month(month)
    if part.end >= after:
        return None, []
    rest = [Period(month, part.start - timedelta(days=1))] if part.start > month else []
    last = after - timedelta(days=1)
    rest += [Period(part.end + timedelta(days=1), last)] if part.end < last else []
    if sum(gap.days for gap in rest) >= part.days:
        return None, []
    return month, rest
