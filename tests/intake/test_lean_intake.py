"""The lean route for a channel's orders answers exactly as the FastAPI route does.

`POST /api/v1/orders` with a channel's API key and a valid JSON order is served by a lean handler
(web/routing.LeanRoute); everything else goes to the FastAPI route. An integrator must not be able
to tell which one answered: every request below is sent to the app as it runs and to the same
app without the lean route, and the answers are compared.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select

from dingdan.orders.models import Order
from dingdan.web.api.orders import post_order_lean
from factories.shop import make_sku, order_body


async def new_key(client: httpx.AsyncClient, owner: dict[str, str], channel: str = "web") -> str:
    answer = await client.post(f"/api/v1/channels/{channel}/api-keys", json={"name": "shop"}, headers=owner)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["key"])


def seen_by_integrator(answer: httpx.Response) -> dict[str, Any]:
    """What a client can rely on: status, headers that mean something, and the body without the
    values that differ between any two orders (number, times)."""
    body = answer.json()
    if answer.status_code in (200, 201):
        body = {
            k: body[k] for k in ("status", "tab", "channel", "total", "review_issues", "payment_status")
        } | {"lines": [(line["sku"], line["quantity"], line["line_total"]) for line in body["lines"]]}
    return {
        "status": answer.status_code,
        "type": answer.headers["content-type"],
        "location": "location" in answer.headers,
        "replayed": answer.headers.get("idempotent-replayed"),
        "body": body,
    }


def buyer(body: dict[str, Any], phone: str) -> dict[str, Any]:
    """The order from its own customer: the same lines from one customer twice look like a
    duplicate to the review, which would hold the second whichever route took it."""
    body["customer"]["phone"] = phone
    return body


def cases(sku: str, key: str, staff: dict[str, str], phone: str) -> list[tuple[str, dict[str, Any]]]:
    as_key = {"Authorization": f"Bearer {key}"}
    valid = json.dumps(buyer(order_body((sku, 2)), phone)).encode()
    json_type = {"Content-Type": "application/json"}
    return [
        ("a valid order", {"content": valid, "headers": as_key | json_type}),
        ("charset in the content type", {"content": valid, "headers": as_key | {"Content-Type": "application/json; charset=utf-8"}}),
        ("no content type", {"content": valid, "headers": as_key}),
        ("a text content type", {"content": valid, "headers": as_key | {"Content-Type": "text/plain"}}),
        ("bearer in lower case", {"content": valid, "headers": {"Authorization": f"bearer {key}"} | json_type}),
        ("a staff token", {"content": valid, "headers": staff | json_type}),
        ("an unknown key", {"content": valid, "headers": {"Authorization": "Bearer ddk_" + "x" * 40} | json_type}),
        ("no authorization", {"content": valid, "headers": json_type}),
        ("cut-off JSON", {"content": valid[:40], "headers": as_key | json_type}),
        ("NaN for a price", {"content": valid.replace(b'"quantity": 2', b'"quantity": 2, "unit_price": NaN'), "headers": as_key | json_type}),
        ("a quantity of zero", {"json": order_body((sku, 0)), "headers": as_key}),
        ("a field nobody knows", {"json": order_body((sku, 1), coupon="X"), "headers": as_key}),
        ("another channel", {"json": order_body((sku, 1), channel="app"), "headers": as_key}),
        ("a SKU that does not exist", {"json": order_body(("NOPE-1", 1)), "headers": as_key}),
        ("more than the stock", {"json": order_body((sku, 10_000)), "headers": as_key}),
        ("a malformed idempotency key", {"json": order_body((sku, 1)), "headers": as_key | {"Idempotency-Key": '"open'}}),
    ]  # fmt: skip


async def test_every_request_gets_the_same_answer_with_or_without_the_lean_route(
    client, without_lean, db, login
):
    sku = await make_sku(db, stock=1000, price="300")
    owner = await login("owner")
    key = await new_key(client, owner)
    staff = await login("clerk")
    for index in range(len(cases(sku, key, staff, ""))):
        name, request = cases(sku, key, staff, f"0911{index:06d}")[index]
        lean = await client.post("/api/v1/orders", **request)
        name, request = cases(sku, key, staff, f"0922{index:06d}")[index]
        full = await without_lean.post("/api/v1/orders", **request)
        assert seen_by_integrator(lean) == seen_by_integrator(full), name


async def test_idempotent_retries_and_a_reused_key_answer_alike(client, without_lean, db, login):
    sku = await make_sku(db, stock=100)
    key = await new_key(client, await login("owner"))
    answers = {}
    for label, http in (("lean", client), ("full", without_lean)):
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"cart-{label}"}
        body = buyer(order_body((sku, 1)), f"0933-{label}")
        first = await http.post("/api/v1/orders", json=body, headers=headers)
        again = await http.post("/api/v1/orders", json=body, headers=headers)
        other = await http.post("/api/v1/orders", json=body | {"note": "changed"}, headers=headers)
        assert first.json()["number"] == again.json()["number"]
        answers[label] = [seen_by_integrator(a) for a in (first, again, other)]
    assert [a["status"] for a in answers["lean"]] == [201, 200, 422]
    assert answers["lean"] == answers["full"]


def scope_of(key: str | None, content_type: str = "application/json", app: Any = None) -> dict[str, Any]:
    headers = [(b"content-type", content_type.encode())]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    return {"type": "http", "method": "POST", "path": "/api/v1/orders", "headers": headers, "app": app}


async def test_the_lean_handler_serves_the_common_case_and_hands_on_every_other(client, db, login):
    sku = await make_sku(db, stock=10)
    key = await new_key(client, await login("owner"))
    app = client.app  # type: ignore[attr-defined]
    valid = json.dumps(order_body((sku, 1))).encode()
    served = await post_order_lean(scope_of(key, app=app), valid)
    assert served is not None and served.status_code == 201
    handed_on = [
        await post_order_lean(scope_of(key, "text/plain", app), valid),
        await post_order_lean(scope_of(None, app=app), valid),
        await post_order_lean(scope_of("ddk_" + "y" * 40, app=app), valid),
        await post_order_lean(scope_of(key, app=app), valid[:-1]),
        await post_order_lean(scope_of(key, app=app), json.dumps(order_body((sku, -1))).encode()),
    ]
    assert handed_on == [None] * 5
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
