"""Prometheus metrics. With several processes set PROMETHEUS_MULTIPROC_DIR (see docs/deploy.md)
and every process's figures are summed at /metrics."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

REQUESTS = Counter("dingdan_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "dingdan_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
ORDERS_PLACED = Counter("dingdan_orders_placed_total", "Orders placed", ["channel"])
RESERVATIONS_REFUSED = Counter("dingdan_stock_reservations_refused_total", "Orders refused for lack of stock")
OUTBOX_LAG = Gauge(
    "dingdan_outbox_lag_events", "Events written but not yet delivered", multiprocess_mode="max"
)
JOB_FAILURES = Counter("dingdan_job_failures_total", "Failed background jobs and event handlers", ["job"])


def render() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
