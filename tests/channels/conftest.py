from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dingdan.channels.import_template import COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shopify_raw_body() -> bytes:
    """Shopify's documented `orders/create` sample payload, byte for byte as stored."""
    return (FIXTURES / "shopify_orders_create.json").read_bytes()


@pytest.fixture
def shopify_order(shopify_raw_body: bytes) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(shopify_raw_body)
    return payload


@pytest.fixture(scope="session")
def import_rows() -> SimpleNamespace:
    """Builders for import rows and for the intake each good order must become."""
    return SimpleNamespace(order_rows=order_rows, expected_intake=expected_intake, header_label=header_label)


def order_rows(ref: str, line_count: int = 1, **order_values: str) -> list[dict[str, str]]:
    """Rows of one order; every row repeats the order's values, as most merchants' sheets do."""
    values = {
        "order_ref": ref,
        "external_id": f"EXT-{ref}",
        "customer_name": f"訂購人{ref}",
        "customer_phone": "0911000111",
        "customer_email": f"buyer-{ref.lower()}@example.com",
        "recipient": f"收件人{ref}",
        "recipient_phone": "0922000222",
        "county": "台中市",
        "district": "西屯區",
        "postal_code": "407",
        "address_line1": "範例大道100號",
        "address_line2": "",
        "payment_method": "貨到付款",
        "note": "",
        **order_values,
    }
    return [
        {**values, "sku": f"SKU-{n:03d}", "quantity": str(n), "unit_price": f"{100 * n}.50"}
        for n in range(1, line_count + 1)
    ]


def expected_intake(ref: str, line_count: int = 1, channel: str = "web") -> dict[str, Any]:
    return {
        "channel": channel,
        "external_id": f"EXT-{ref}",
        "customer": {
            "name": f"訂購人{ref}",
            "phone": "0911000111",
            "email": f"buyer-{ref.lower()}@example.com",
        },
        "shipping_address": {
            "recipient": f"收件人{ref}",
            "phone": "0922000222",
            "country": "TW",
            "city": "臺中市",
            "district": "西屯區",
            "postal_code": "407",
            "line1": "範例大道100號",
        },
        "lines": [
            {"sku": f"SKU-{n:03d}", "quantity": n, "unit_price": f"{100 * n}.50"}
            for n in range(1, line_count + 1)
        ],
        "payment_method": "cod",
    }


def header_label(name: str, language: str) -> str:
    column = next(column for column in COLUMNS if column.name == name)
    return column.label if language == "zh-Hant" else column.name
