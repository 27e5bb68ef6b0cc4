"""Customers for the portal tests: accounts made over the API, orders placed as them."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

_numbers = itertools.count(1)
CustomerFactory = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def customer(client: httpx.AsyncClient) -> CustomerFactory:
    """`headers = await customer()` registers a new account and gives its auth header."""

    async def make(
        username: str | None = None, password: str = "sesame-street", name: str = ""
    ) -> dict[str, str]:
        username = username or f"buyer{next(_numbers)}@example.com"
        response = await client.post(
            "/api/v1/me/register", json={"username": username, "password": password, "name": name}
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return make


def my_order_body(*lines: tuple[str, int], payment: str = "online", **extra: Any) -> dict[str, Any]:
    return {
        "shipping_address": {
            "recipient": "林小美",
            "phone": "0922-333-444",
            "country": "TW",
            "city": "臺北市",
            "district": "大安區",
            "postal_code": "106",
            "line1": "忠孝東路四段 1 號",
        },
        "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        "payment_method": payment,
        **extra,
    }


async def place_mine(
    client: httpx.AsyncClient, headers: dict[str, str], *lines: tuple[str, int], **extra: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/me/orders", json=my_order_body(*lines, **extra), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()
