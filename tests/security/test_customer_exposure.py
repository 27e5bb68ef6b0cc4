"""S-SEC-4 (OWASP API3, excessive data exposure): every answer a customer or the public tracking
lookup gets is checked against its OpenAPI schema, and those schemas are closed
(`additionalProperties: false`), so a field nobody declared — a cost, a staff note, a warehouse,
another customer's data — fails the check instead of reaching the customer."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import schemathesis
from PIL import Image

from dingdan.main import create_app
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.settings import get_settings
from dingdan.workflows.carriers import use_carriers
from factories.shipping import known_carriers, push_sim, ship, sim_of
from factories.shop import make_sku
from portal.conftest import my_order_body
from portal.test_my_orders import move

SPEC = create_app(get_settings()).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)
CUSTOMER_FACING = re.compile(r"^/api/v1/(me(/|$)|tracking$)")
TAIPEI = ZoneInfo("Asia/Taipei")


def customer_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, response) of every 2xx JSON answer of a customer-facing operation."""
    found = []
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for status, answer in operation.get("responses", {}).items():
                if (
                    CUSTOMER_FACING.match(path)
                    and status.startswith("2")
                    and "application/json" in answer.get("content", {})
                ):
                    found.append((method.upper(), path, answer["content"]["application/json"]["schema"]))
    return found


def open_objects(schema: dict[str, Any], seen: set[str], where: str) -> list[str]:
    """Where an object with declared properties still accepts undeclared ones."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return open_objects(SPEC["components"]["schemas"][name], seen, name)
    found = []
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("properties") and schema.get("additionalProperties") is not False:
            found.append(where)
        if (
            schema.get("type") == "object"
            and not schema.get("properties")
            and "additionalProperties" not in schema
        ):
            found.append(f"{where} (a free-form object)")
    children = [*schema.get("properties", {}).values(), *schema.get("anyOf", []), *schema.get("allOf", [])]
    if isinstance(schema.get("items"), dict):
        children.append(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        children.append(schema["additionalProperties"])
    for child in children:
        found.extend(open_objects(child, seen, where))
    return found


def test_s_sec_4_every_customer_facing_answer_is_a_closed_schema() -> None:
    operations = customer_operations()
    assert len(operations) >= 15
    undeclared = [
        (m, p) for m, p, schema in operations if not schema.get("$ref") and schema.get("type") != "array"
    ]
    assert undeclared == [], "customer-facing answers without a response model"
    wrong = [(m, p, where) for m, p, schema in operations for where in open_objects(schema, set(), p)]
    assert wrong == [], "\n".join(map(str, wrong))


class Calls:
    """Makes the customer's calls and checks each answer against the documented schema."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers, self.checked = client, headers, set()

    async def __call__(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        url = path.format(**kwargs.pop("at", {}))
        answer = await self.client.request(method, url, headers=kwargs.pop("headers", self.headers), **kwargs)
        assert answer.status_code == expect, (method, url, answer.text)
        answer.request.read()  # a multipart upload is a stream until read
        SCHEMA[path][method].validate_response(answer)
        self.checked.add((method, path))
        return answer.json()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def carriers():
    registry = known_carriers()
    use_carriers(registry)
    yield registry
    use_carriers(None)


async def test_s_sec_4_a_customer_journey_gets_only_declared_fields(client, db, login, carriers) -> None:
    fixed = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=TAIPEI))
    clock.set_clock(fixed)
    registered = await client.post(
        "/api/v1/me/register", json={"username": "exposure@example.com", "password": "sesame-street"}
    )
    me = Calls(client, {"Authorization": f"Bearer {registered.json()['access_token']}"})
    sku = await make_sku(db, stock=10, price="400")
    order = await me("POST", "/api/v1/me/orders", 201, json=my_order_body((sku, 2), payment="cod"))
    unpaid = await me("POST", "/api/v1/me/orders", 201, json=my_order_body((sku, 1)))
    number = {"number": order["number"]}
    await me("POST", "/api/v1/me/orders/{number}/pay", at={"number": unpaid["number"]})
    moved = {"shipping_address": my_order_body()["shipping_address"] | {"line1": "復興南路一段 2 號"}}
    await me("PUT", "/api/v1/me/orders/{number}/shipping-address", at=number, json=moved)
    parcel = await ship(client, order["number"], await login("warehouse"))
    fixed.advance(hours=30)
    assert (await push_sim(client, sim_of(carriers), parcel["tracking_number"])).status_code == 200
    await me("GET", "/api/v1/me/orders/{number}", at=number)
    await me("GET", "/api/v1/me/orders")
    await me("GET", "/api/v1/tracking", params={"tracking_number": parcel["tracking_number"]}, headers={})
    await me(
        "GET", "/api/v1/tracking", params={"order_number": order["number"], "phone_last4": "3444"}, headers={}
    )
    await move(db, order["number"], *_to_delivered(await me("GET", "/api/v1/me/orders/{number}", at=number)))
    body = {"kind": "return_refund", "lines": [{"line_no": 1, "quantity": 1}], "reason": "尺寸不合"}
    request = await me("POST", "/api/v1/me/orders/{number}/aftersales/requests", 201, at=number, json=body)
    where = number | {"request": request["number"]}
    files = {"photo": ("a.jpg", jpeg(), "image/jpeg")}
    await me(
        "POST", "/api/v1/me/orders/{number}/aftersales/requests/{request}/photos", 201, at=where, files=files
    )
    await me("POST", "/api/v1/me/orders/{number}/messages", 201, at=number, json={"body": "請問何時退款?"})
    await me("POST", "/api/v1/me/orders/{number}/aftersales/requests/{request}/withdraw", at=where)
    await me("POST", "/api/v1/me/orders/{number}/confirm-receipt", at=number)
    review = await me(
        "POST", "/api/v1/me/orders/{number}/reviews", 201, at=number, json={"line_no": 1, "stars": 5}
    )
    files = {"photo": ("b.jpg", jpeg(), "image/jpeg")}
    await me(
        "POST",
        "/api/v1/me/orders/{number}/reviews/{review_id}/photos",
        201,
        at=number | {"review_id": review["id"]},
        files=files,
    )
    await me("GET", "/api/v1/me/orders/{number}/aftersales", at=number)
    await me("GET", "/api/v1/me")
    await me("GET", "/api/v1/me/sessions")
    await me("POST", "/api/v1/me/verify", 202, json={"channel": "email"})
    await me("POST", "/api/v1/me/password-reset", 202, json={"username": "exposure@example.com"}, headers={})
    await me(
        "POST", "/api/v1/me/token", data={"username": "exposure@example.com", "password": "sesame-street"}
    )
    covered = {(m, p) for m, p, _ in customer_operations()}
    assert covered - me.checked <= {("POST", "/api/v1/me/register"), ("POST", "/api/v1/me/claim-orders"),
                                    ("POST", "/api/v1/me/orders/{number}/cancel")}  # fmt: skip


def _to_delivered(detail: dict[str, Any]) -> list[OrderStatus]:
    return [] if detail["status"] == OrderStatus.DELIVERED else [OrderStatus.DELIVERED]


async def test_s_sec_4_an_undeclared_field_in_an_answer_fails_the_check(client, db) -> None:
    registered = await client.post(
        "/api/v1/me/register", json={"username": "leak@example.com", "password": "sesame-street"}
    )
    headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    answer = await client.get("/api/v1/me", headers=headers)
    SCHEMA["/api/v1/me"]["GET"].validate_response(answer)
    leaked = httpx.Response(200, json={**answer.json(), "password_hash": "x"}, request=answer.request)
    leaked.elapsed = answer.elapsed
    with pytest.raises(Exception, match="password_hash"):
        SCHEMA["/api/v1/me"]["GET"].validate_response(leaked)
