"""W1 mixed placement and W2 flash sale."""

from __future__ import annotations

import json
import random
from itertools import accumulate

from bench.http import build_request

SKU_COUNT = 10_000


def zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return list(accumulate(1 / (rank ** s) for rank in range(1, n + 1)))


def placement_requests(base: str, token: str, *, count: int, distribution: str, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    cumulative = zipf_weights(SKU_COUNT) if distribution == "zipf" else None
    headers = {"Authorization": f"Bearer {token}"}
    requests = []
    for index in range(count):
        size = rng.randint(1, 5)
        if cumulative:
            picks = rng.choices(range(1, SKU_COUNT + 1), cum_weights=cumulative, k=size)
        else:
            picks = [rng.randint(1, SKU_COUNT) for _ in range(size)]
        body = {
            "channel": "web",
            "customer": {"name": "壓測客", "phone": f"09{index % 100_000_000:08d}", "email": ""},
            "shipping_address": {"recipient": "壓測客", "phone": "0912345678", "country": "TW",
                                 "city": "臺北市", "district": "大安區", "postal_code": "106",
                                 "line1": "復興南路一段 1 號"},
            "lines": [{"sku": f"B-{sku:05d}", "quantity": rng.randint(1, 3)} for sku in picks],
            "payment_method": "cod",
        }
        requests.append(build_request("POST", f"{base}/api/v1/orders", json.dumps(body).encode(), headers))
    return requests


def flash_sale_requests(base: str, token: str, *, buyers: int, sku: str = "B-00001") -> list[bytes]:
    headers = {"Authorization": f"Bearer {token}"}
    return [
        build_request("POST", f"{base}/api/v1/orders", json.dumps({
            "channel": "web",
            "customer": {"name": "搶購客", "phone": f"09{index:08d}", "email": ""},
            "shipping_address": {"recipient": "搶購客", "phone": "0912345678", "country": "TW",
                                 "city": "臺北市", "district": "大安區", "postal_code": "106",
                                 "line1": "復興南路一段 1 號"},
            "lines": [{"sku": sku, "quantity": 1}], "payment_method": "cod",
        }).encode(), headers)
        for index in range(buyers)
    ]
