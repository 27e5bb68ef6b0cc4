"""Production mode for real: two API processes and two workers on PostgreSQL and RabbitMQ;
orders go through both APIs while a worker is killed; nothing is lost, doubled or drifts."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx
import pytest
from sqlalchemy import create_engine, text

from ops import cluster as ops_cluster

pytestmark = pytest.mark.skipif(
    not os.environ.get("DINGDAN_TEST_POSTGRES_URL"), reason="the cluster needs PostgreSQL and RabbitMQ"
)


def scalar(url: str, sql: str) -> int:
    engine = create_engine(url.replace("+asyncpg", "+psycopg2"))
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


async def test_s_cr_3_orders_through_two_apis_survive_a_killed_worker():
    with ops_cluster.running("dingdan_cluster_test") as running:
        api1, api2 = running.apis
        async with httpx.AsyncClient(timeout=30) as http:
            token = (await http.post(f"{api1}/api/v1/auth/token", data={
                "username": "owner@demo.dingdan.tw", "password": "dingdan-demo"})).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            await http.post(f"{api1}/api/v1/channels", headers=auth, json={
                "code": "mall", "name": "商城", "type": "marketplace", "stock_policy": "backorder",
                "auto_confirm": True, "orders_arrive_paid": True})
            await http.post(f"{api1}/api/v1/products", headers=auth, json={
                "name": "限量杯", "variants": [{"sku": "CLUSTER-1", "price": "300"}]})

            async def place(index: int) -> int:
                base = api1 if index % 2 else api2
                body = {
                    "channel": "mall", "external_id": f"C-{index}",
                    "customer": {"name": "客", "phone": f"09{index:08d}"},
                    "shipping_address": {"recipient": "客", "phone": "0912345678", "city": "臺北市",
                                         "district": "大安區", "postal_code": "106", "line1": "路 1 號"},
                    "lines": [{"sku": "CLUSTER-1", "quantity": 1}], "payment_method": "online",
                }
                return (await http.post(f"{base}/api/v1/orders", json=body, headers=auth)).status_code

            first = await asyncio.gather(*[place(i) for i in range(30)])
            running.worker_processes[0].send_signal(signal.SIGKILL)
            second = await asyncio.gather(*[place(i) for i in range(30, 60)])
            adjust = await http.post(f"{api2}/api/v1/inventory/CLUSTER-1/adjustments", headers=auth,
                                     json={"delta": 100, "reason": "進貨"})
            assert adjust.status_code == 201
        acknowledged = [s for s in first + second if s == 201]
        url = running.database_url
        for _ in range(150):
            waiting = scalar(url, "SELECT count(*) FROM orders_line WHERE backordered_quantity > 0")
            undelivered = scalar(url, "SELECT count(*) FROM platform_event WHERE delivered_at IS NULL")
            if waiting == 0 and undelivered == 0:
                break
            await asyncio.sleep(0.2)
        assert len(acknowledged) == 60
        assert scalar(url, "SELECT count(*) FROM orders_order WHERE channel_code = 'mall'") == 60
        assert waiting == 0 and undelivered == 0
        adjusted = scalar(url, "SELECT count(*) FROM platform_event WHERE topic = 'inventory.adjusted'")
        handled = scalar(url, "SELECT count(*) FROM platform_event_handled WHERE handler = 'allocate_backorders'")
        assert handled == adjusted  # every event handled once, none twice (primary key)
        assert running.check() == "ok"
