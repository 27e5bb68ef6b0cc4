"""Percentiles from raw latencies (never averages alone)."""

from __future__ import annotations

import math
from dataclasses import dataclass


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return math.nan
    index = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass(frozen=True)
class Summary:
    count: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (f"{self.rate:8.0f}/s  p50 {self.p50 * 1000:6.1f} ms  p95 {self.p95 * 1000:6.1f} ms  "
                f"p99 {self.p99 * 1000:6.1f} ms  max {self.max * 1000:6.1f} ms  (n={self.count})")


def summarize(latencies: list[float], seconds: float) -> Summary:
    ordered = sorted(latencies)
    return Summary(len(ordered), seconds, percentile(ordered, 50), percentile(ordered, 95),
                   percentile(ordered, 99), ordered[-1] if ordered else math.nan)
