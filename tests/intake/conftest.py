"""Fixtures for channel intake: marketplace channels, signed Shopify deliveries, import files."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from dingdan.channels import service as channels
from dingdan.channels.adapters.shopify import sign_body
from dingdan.channels.import_template import COLUMNS
from dingdan.platform.db import Database

SHOPIFY_SAMPLE = Path(__file__).parent.parent / "channels" / "fixtures" / "shopify_orders_create.json"
SECRET = "shopify-app-secret-2026"


@pytest.fixture
def shopify_body() -> bytes:
    return SHOPIFY_SAMPLE.read_bytes()


def shopify_headers(
    body: bytes, *, secret: str = SECRET, webhook_id: str | None = None, **extra: str
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign_body(body, secret),
        "X-Shopify-Shop-Domain": "example.myshopify.com",
        **extra,
    }
    if webhook_id:
        headers["X-Shopify-Webhook-Id"] = webhook_id
    return headers


def shopify_payload(**changes: Any) -> bytes:
    payload = json.loads(SHOPIFY_SAMPLE.read_bytes())
    payload.update(changes)
    return json.dumps(payload, ensure_ascii=False).encode()


async def make_channel(db: Database, code: str, type_: str = "marketplace", **fields: Any) -> None:
    async def create(session: Any) -> None:
        values = {**channels.channel_defaults(type_), **fields}
        await channels.create_channel(session, code=code, name=code, type=type_, **values)

    await db.write(create)


def csv_file(rows: list[dict[str, str]]) -> bytes:
    """An import file in the template's format, Chinese headers, UTF-8 with BOM."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in COLUMNS])
    for row in rows:
        writer.writerow([row.get(c.name, "") for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()


def order_rows(ref: str, skus: list[str], **values: str) -> list[dict[str, str]]:
    base = {
        "order_ref": ref,
        "customer_name": f"顧客{ref}",
        "recipient": f"收件人{ref}",
        "recipient_phone": f"0912{zlib.crc32(ref.encode()) % 1_000_000:06d}",
        "county": "台北市",
        "district": "中正區",
        "postal_code": "100",
        "address_line1": "範例路1號",
        "payment_method": "貨到付款",
        **values,
    }
    return [{**base, "sku": sku, "quantity": "1"} for sku in skus]
