"""Factories for shipping tests: confirmed orders, parcels, and carriers with known secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from dingdan.platform.settings import get_settings
from dingdan.shipping.adapters.base import CarrierRegistry
from dingdan.shipping.adapters.sim import SimCarrier
from dingdan.shipping.adapters.sim_journey import SimProfile
from dingdan.workflows.carriers import NO_INCIDENTS, build_carriers
from factories.shop import order_body

AFTERSHIP_SECRET = "test-aftership-secret"
KUAIDI100_SALT = "test-kuaidi100-salt"
SIM_SECRET = "test-sim-secret"
FIXTURES = Path(__file__).parent.parent / "shipping" / "fixtures"
AFTERSHIP_SAMPLE = (FIXTURES / "aftership_tracking_update.json").read_bytes()
AFTERSHIP_TRACKING_NUMBER = "9361289676091361892011"
KUAIDI100_DELIVERED = (FIXTURES / "kuaidi100_push_delivered_param.json").read_text(encoding="utf-8").strip()
KUAIDI100_TRACKING_NUMBER = "V030344422"


def known_carriers(profile: SimProfile = NO_INCIDENTS) -> CarrierRegistry:
    settings = get_settings().model_copy(
        update={
            "aftership_webhook_secret": AFTERSHIP_SECRET,
            "kuaidi100_salt": KUAIDI100_SALT,
            "sim_webhook_secret": SIM_SECRET,
        }
    )
    return build_carriers(settings, sim_profile=profile)


def sim_of(registry: CarrierRegistry) -> SimCarrier:
    sim = registry.get("sim")
    assert isinstance(sim, SimCarrier)
    return sim


async def place_confirmed_order(
    client: Any, headers: dict[str, str], *lines: tuple[str, int], **extra: Any
) -> str:
    response = await client.post("/api/v1/orders", json=order_body(*lines, **extra), headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "confirmed"
    return response.json()["number"]


async def ship(client: Any, number: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/orders/{number}/shipments", json={"carrier": "sim", **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def push_sim(client: Any, sim: SimCarrier, tracking_number: str) -> Any:
    push = sim.build_push(tracking_number)
    answer = await client.post("/webhooks/sim", content=push.body, headers=push.headers)
    await client.app.state.relay.drain()  # the push is applied off the request path
    return answer


def aftership_headers(body: bytes, secret: str = AFTERSHIP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"Content-Type": "application/json", "aftership-hmac-sha256": base64.b64encode(digest).decode()}


def kuaidi100_form(param: str, salt: str = KUAIDI100_SALT) -> bytes:
    sign = hashlib.md5((param + salt).encode(), usedforsecurity=False).hexdigest().upper()
    return urlencode({"param": param, "sign": sign}).encode()


async def timeline(client: Any, number: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/orders/{number}/timeline", headers=headers)
    assert response.status_code == 200
    return response.json()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)
