"""W5: the public tracking lookup (`GET /api/v1/tracking?tracking_number=…`).

Run by `make bench` on the W1 database after W1: parcels with three scans each are written for
the orders W1 placed, then many different visitors (a different client address per request,
through the trusted local proxy header) each look up a different parcel, as a shop's customers
do. The per-address and per-parcel rate limits therefore do not refuse them; a 429 would show.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import create_engine, insert, select, text

from bench import loadgen, setup
from bench.http import build_request
from dingdan.orders.service import ORDERS
from dingdan.platform import clock
from dingdan.shipping.models import Shipment, TrackingEventRow

SCANS = (("picked_up", "臺北轉運中心"), ("in_transit", "臺中轉運中心"), ("out_for_delivery", "臺北大安營業所"))


def add_parcels(url: str, limit: int) -> list[str]:
    """One parcel with three scans for each of the first `limit` orders; their tracking numbers."""
    engine = create_engine(setup.sync_url(url))
    now = clock.now()
    with engine.begin() as conn:
        orders = conn.execute(select(ORDERS.c.id, ORDERS.c.number).order_by(ORDERS.c.id).limit(limit)).all()
        numbers = [f"BT{order_id:010d}" for order_id, _ in orders]
        conn.execute(insert(Shipment), [
            {"order_id": order_id, "order_number": number, "carrier": "sim", "service": "home",
             "tracking_number": tn, "status": "out_for_delivery", "shipped_at": now - timedelta(days=1),
             "last_scan_at": now, "current_location": SCANS[-1][1], "current_city": "臺北市",
             "route": [place for _, place in SCANS], "created_by": "bench", "updated_at": now}
            for (order_id, number), tn in zip(orders, numbers, strict=True)
        ])
        ids = conn.execute(select(Shipment.id, Shipment.tracking_number)).all()
        conn.execute(insert(TrackingEventRow), [
            {"shipment_id": sid, "dedupe_key": f"{tn}-{step}", "occurred_at": now - timedelta(hours=3 - step),
             "status": status, "description": status, "location_text": place, "city": "臺北市",
             "postal_code": "106", "raw_code": status, "source": "push", "received_at": now}
            for sid, tn in ids for step, (status, place) in enumerate(SCANS)
        ])
    engine.dispose()
    return numbers


def wait_for_relay(url: str, *, limit_seconds: float = 300) -> float:
    """Seconds until every event W1 wrote is delivered: lookups are measured on their own, not
    against the follow-up work of the orders just placed (which ran in the same processes)."""
    engine = create_engine(setup.sync_url(url))
    started = time.monotonic()
    with engine.connect() as conn:
        while time.monotonic() - started < limit_seconds:
            if not conn.execute(text("SELECT 1 FROM platform_event WHERE delivered_at IS NULL LIMIT 1")).first():
                break
            conn.rollback()
            time.sleep(1)
    engine.dispose()
    return time.monotonic() - started


def w5(url: str, base: str, *, concurrency: int, total: int) -> list[str]:
    waited = wait_for_relay(url)
    numbers = add_parcels(url, total)
    requests = [
        build_request("GET", f"{base}/api/v1/tracking?tracking_number={tn}",
                      headers={"X-Forwarded-For": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"})
        for i, tn in enumerate(numbers)
    ]
    warm = len(requests) // 10
    asyncio.run(loadgen.closed_loop(base, lambda i: requests[i], concurrency=concurrency, total=warm))
    rest = requests[warm:]
    result = asyncio.run(loadgen.closed_loop(base, lambda i: rest[i], concurrency=concurrency, total=len(rest)))
    note = f"after {waited:.0f} s waiting for W1's events to be handled"
    return [f"| W5 tracking lookup c={concurrency} | {result.summary().line()} | {dict(result.statuses)} | {note} |"]
