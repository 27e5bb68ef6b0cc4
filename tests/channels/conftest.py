from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shopify_raw_body() -> bytes:
    """Shopify's documented `orders/create` sample payload, byte for byte as stored."""
    return (FIXTURES / "shopify_orders_create.json").read_bytes()


@pytest.fixture
def shopify_order(shopify_raw_body: bytes) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(shopify_raw_body)
    return payload
