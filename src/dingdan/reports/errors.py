"""Report errors with a stable code."""

from __future__ import annotations

from dingdan.platform.errors import InvalidInput


class InvalidDateRange(InvalidInput):
    code = "invalid-date-range"
    title = "Invalid date range"
