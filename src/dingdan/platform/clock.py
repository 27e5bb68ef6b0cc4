"""The one clock of the system, replaceable in tests and demos (a fast clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(clock: Callable[[], datetime]) -> None:
    global _now  # noqa: PLW0603
    _now = clock


def reset_clock() -> None:
    set_clock(lambda: datetime.now(UTC))


class FrozenClock:
    """A clock that only moves when told to: `clock.advance(minutes=31)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current
