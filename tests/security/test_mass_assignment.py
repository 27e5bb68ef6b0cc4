"""S-SEC-3 (OWASP API3, mass assignment): every write operation in the app's own OpenAPI gets the
fields a client must never set (status, totals, prices, owner ids, roles, stock, tracking) added
to its JSON body, at the top and in every nested object. Each must come back as 422
problem+json naming the field; nothing is written. A new route whose request model accepts
unknown fields fails here."""

from __future__ import annotations

import re
from typing import Any

from dingdan.main import create_app
from dingdan.platform.settings import get_settings
from dingdan.tables import metadata

FORBIDDEN_INPUTS = {
    "status": "hacked",
    "total": "0.01",
    "subtotal": "0.01",
    "unit_price": "0.01",
    "discount": "99999",
    "paid_at": "2020-01-01T00:00:00Z",
    "customer_id": 1,
    "store_id": 1,
    "role": "owner",
    "is_staff": True,
    "reserved": 0,
    "on_hand": 999999,
    "tracking_number": "HACKED123",
}
# Fields of this list that a route takes on purpose, with the reason. Adding one is a decision.
DECLARED = {
    ("POST", "/api/v1/orders", "/discount"): "staff enter the discount a channel or the shop granted",
    ("POST", "/api/v1/orders", "/lines/0/unit_price"): "a channel's order carries the price it sold at",
    ("POST", "/api/v1/orders/{number}/edits", "/lines/0/unit_price"): "staff reprice a line, with a reason",
    ("POST", "/api/v1/orders/{number}/shipments", "/tracking_number"): "the carrier's number, typed by staff",
    ("PATCH", "/api/v1/shipping/exceptions/{case_id}", "/status"): "staff move a delivery case along",
}
WRITE_METHODS = ("post", "put", "patch")

SPEC = create_app(get_settings()).openapi()
SCHEMAS = SPEC["components"]["schemas"]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref, and take the object branch of an `X | None`."""
    while True:
        if "$ref" in schema:
            schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema:
            objects = [s for s in schema["anyOf"] if s.get("type") != "null"]
            schema = objects[0] if len(objects) == 1 else {}
        else:
            return schema


def json_writes() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if method in WRITE_METHODS and "application/json" in content:
                found.append((method.upper(), path, resolve(content["application/json"]["schema"])))
    return found


def nested_objects(schema: dict[str, Any], pointer: str) -> list[tuple[str, dict[str, Any]]]:
    """(pointer, schema) of each object property, or of the first item of an array of objects."""
    found = []
    for name, declared in schema.get("properties", {}).items():
        prop = resolve(declared)
        if prop.get("type") == "array":
            found.append((f"{pointer}/{name}/0", resolve(prop.get("items", {}))))
        else:
            found.append((f"{pointer}/{name}", prop))
    return [(p, s) for p, s in found if s.get("properties")]


def poisoned(schema: dict[str, Any], pointer: str = "", depth: int = 0) -> tuple[Any, set[str]]:
    """A body with the forbidden fields in this object and in each nested one, and their pointers."""
    properties = schema.get("properties", {})
    body: dict[str, Any] = {k: v for k, v in FORBIDDEN_INPUTS.items() if k not in properties}
    pointers = {f"{pointer}/{name}" for name in body}
    for inner_pointer, inner in nested_objects(schema, pointer) if depth < 3 else []:
        inner_body, inner_pointers = poisoned(inner, inner_pointer, depth + 1)
        name = inner_pointer[len(pointer) + 1 :].split("/")[0]
        body[name] = [inner_body] if inner_pointer.endswith("/0") else inner_body
        pointers |= inner_pointers
    return body, pointers


def declared_forbidden_fields() -> set[tuple[str, str, str]]:
    """(method, path, pointer) of each forbidden name a request model declares, nested too."""

    def walk(schema: dict[str, Any], pointer: str, depth: int) -> set[str]:
        found = {f"{pointer}/{name}" for name in schema.get("properties", {}) if name in FORBIDDEN_INPUTS}
        for inner_pointer, inner in nested_objects(schema, pointer) if depth < 3 else []:
            found |= walk(inner, inner_pointer, depth + 1)
        return found

    return {(m, p, f) for m, p, schema in json_writes() for f in walk(schema, "", 0)}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def row_counts(db: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    async with db.read() as session:
        return {
            table.name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
            for table in metadata.sorted_tables
        }


def test_s_sec_3_the_probe_covers_every_json_write_of_the_api() -> None:
    writes = {(m, p) for m, p, _ in json_writes()}
    assert len(writes) >= 30
    assert {
        ("POST", "/api/v1/orders"),
        ("POST", "/api/v1/me/orders"),
        ("PATCH", "/api/v1/products/{product_id}"),
    } <= writes


def test_s_sec_3_only_the_documented_routes_take_a_sensitive_field_on_purpose() -> None:
    assert declared_forbidden_fields() == set(DECLARED)


async def test_s_sec_3_every_write_refuses_fields_a_client_must_not_set(
    client, db, login, customer_headers
) -> None:
    staff = await login("owner")
    before = await row_counts(db)
    wrong = []
    for method, path, schema in json_writes():
        body, pointers = poisoned(schema)
        headers = customer_headers if path.startswith("/api/v1/me/") else staff
        answer = await client.request(method, concrete(path), json=body, headers=headers)
        named = {e["field"] for e in answer.json().get("errors", [])} if answer.status_code == 422 else set()
        if answer.status_code != 422 or not answer.headers["content-type"].startswith(
            "application/problem+json"
        ):
            wrong.append((method, path, answer.status_code, answer.text[:200]))
        elif missing := pointers - named:
            wrong.append((method, path, "accepted", sorted(missing)))
    assert wrong == [], "\n".join(map(str, wrong))
    assert await row_counts(db) == before
