"""What issue #2 says the core must show: no oversell under a stampede, one order per
Idempotency-Key, and bad input refused with nothing changed."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from dingdan.orders.models import Order
from dingdan.reports.invariants import run_checks
from factories.shop import holders_of, make_sku, order_body, stock_of


async def count_orders(db) -> int:
    async with db.read() as session:
        return await session.scalar(select(func.count()).select_from(Order))


async def _stampede(client, headers, sku: str, attempts: int, clients: int) -> list:
    """`clients` buyers at once, each placing orders of one unit one after another until
    `attempts` orders have been tried."""
    tickets = iter(range(attempts))
    answers = []

    async def buyer() -> None:
        for index in tickets:
            body = order_body((sku, 1))
            body["customer"]["phone"] = f"09{index:08d}"
            answers.append(await client.post("/api/v1/orders", json=body, headers=headers))

    await asyncio.gather(*[buyer() for _ in range(clients)])
    return answers


async def _what_holds(db, sku: str) -> tuple[int, int]:
    """(sum of the SKU's reservation ledger, open orders holding the SKU), once the
    `dingdan check` auditor has found nothing."""
    async with db.read() as session:
        findings = [f"{f.check}: {f.examples[:3]}" for f in await run_checks(session) if f.count]
    assert findings == []  # `dingdan check`: 0 invariant violations
    return await holders_of(db, sku)


# The scenario's figures: on PostgreSQL 50 clients in CI, 200 in the long run; SQLite takes 16.
STAMPEDES = [
    pytest.param(1_000, {"postgresql": 50, "sqlite": 16}, id="1000-attempts"),
    pytest.param(10_000, {"postgresql": 200, "sqlite": 200}, id="10000-attempts", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("attempts", "clients"), STAMPEDES)
async def test_s_inv_1_a_stampede_for_100_units_sells_exactly_100(client, db, login, attempts, clients):
    sku = await make_sku(db, stock=100)
    answers = await _stampede(client, await login("clerk"), sku, attempts, clients[db.dialect])
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 100, 409: attempts - 100}, statuses
    refusals = {(a.headers["content-type"], a.json()["type"]) for a in answers if a.status_code == 409}
    assert refusals == {("application/problem+json", "/problems/out-of-stock")}
    assert await stock_of(db, sku) == (100, 100, 0)
    assert await _what_holds(db, sku) == (100, 100)
    assert await count_orders(db) == 100


async def test_s_idem_1_same_key_replayed_100_times_answers_the_same_bytes(client, db, login):
    sku = await make_sku(db, stock=100)
    headers = {**(await login("clerk")), "Idempotency-Key": "replay-100"}
    body = order_body((sku, 1))
    answers = [await client.post("/api/v1/orders", json=body, headers=headers) for _ in range(100)]
    assert [a.status_code for a in answers] == [201] + [200] * 99
    assert len({a.content for a in answers}) == 1
    assert await count_orders(db) == 1
    assert await stock_of(db, sku) == (100, 1, 99)


async def test_s_idem_2_same_idempotency_key_twenty_times_at_once_makes_one_order(client, db, login):
    sku = await make_sku(db, stock=100)
    headers = {**(await login("clerk")), "Idempotency-Key": "checkout-8f2a"}
    body = order_body((sku, 1))
    answers = await asyncio.gather(
        *[client.post("/api/v1/orders", json=body, headers=headers) for _ in range(20)]
    )
    assert all(a.status_code in (200, 201, 409) for a in answers)
    assert [a.status_code for a in answers].count(201) == 1
    numbers = {a.json()["number"] for a in answers if a.status_code in (200, 201)}
    assert len(numbers) == 1
    replays = [a for a in answers if a.status_code == 200]
    assert all(a.headers["idempotent-replayed"] == "true" for a in replays)
    first = next(a for a in answers if a.status_code == 201)
    assert all(a.content == first.content for a in replays)  # byte-identical stored answer
    assert await count_orders(db) == 1
    assert await stock_of(db, sku) == (100, 1, 99)


async def test_s_idem_3_idempotency_key_with_another_body_is_refused(client, db, login):
    sku = await make_sku(db, stock=10)
    headers = {**(await login("clerk")), "Idempotency-Key": "k-1"}
    assert (
        await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
    ).status_code == 201
    other = await client.post("/api/v1/orders", json=order_body((sku, 2)), headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    assert await stock_of(db, sku) == (10, 1, 9)


async def test_s_idem_7_a_refused_request_is_not_stored_under_its_key(client, db, login):
    sku = await make_sku(db, stock=10)
    headers = {**(await login("clerk")), "Idempotency-Key": "k-2"}
    bad = order_body((sku, 1))
    bad["lines"][0]["quantity"] = 0
    assert (await client.post("/api/v1/orders", json=bad, headers=headers)).status_code == 422
    assert (
        await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
    ).status_code == 201
    assert await count_orders(db) == 1


async def test_s_idem_5_same_key_from_two_callers_makes_two_orders(client, db, login):
    sku = await make_sku(db, stock=10)
    for role in ("clerk", "owner"):
        headers = {**(await login(role)), "Idempotency-Key": "shared"}
        assert (
            await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
        ).status_code == 201
    assert await count_orders(db) == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "é-key".encode(), '"unterminated'])
async def test_s_idem_4_malformed_idempotency_keys_get_400(client, db, login, key):
    sku = await make_sku(db)
    headers = {**(await login("clerk")), "Idempotency-Key": key}
    answer = await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
    assert answer.status_code == 400
    assert answer.json()["type"] == "/problems/invalid-idempotency-key"
    assert await count_orders(db) == 0


def _with(mutate):
    def build(sku):
        body = order_body((sku, 1))
        mutate(body)
        return body

    return build


BAD_BODIES = {
    "zero quantity": (_with(lambda b: b["lines"][0].update(quantity=0)), "/lines/0/quantity"),
    "negative quantity": (_with(lambda b: b["lines"][0].update(quantity=-3)), "/lines/0/quantity"),
    "huge quantity": (_with(lambda b: b["lines"][0].update(quantity=10**12)), "/lines/0/quantity"),
    "text quantity": (_with(lambda b: b["lines"][0].update(quantity="two")), "/lines/0/quantity"),
    "float quantity": (_with(lambda b: b["lines"][0].update(quantity=1.5)), "/lines/0/quantity"),
    "unknown sku": (_with(lambda b: b["lines"][0].update(sku="NOPE-404")), "/lines/0/sku"),
    "empty lines": (_with(lambda b: b.update(lines=[])), "/lines"),
    "missing city": (_with(lambda b: b["shipping_address"].pop("city")), "/shipping_address/city"),
    "blank recipient": (
        _with(lambda b: b["shipping_address"].update(recipient="  ")),
        "/shipping_address/recipient",
    ),
    "client status": (_with(lambda b: b.update(status="completed")), "/status"),
    "client total": (_with(lambda b: b.update(total="1")), "/total"),
    "unknown channel": (_with(lambda b: b.update(channel="nowhere")), "/channel"),
    "negative price": (_with(lambda b: b["lines"][0].update(unit_price="-5")), "/lines/0/unit_price"),
    "discount too large": (_with(lambda b: b.update(discount="99999")), "/discount"),
    "bad payment method": (_with(lambda b: b.update(payment_method="bitcoin")), "/payment_method"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_s_err_1_s_err_2_s_sec_3_bad_input_gets_a_problem_naming_the_field_and_changes_nothing(
    client, db, login, case
):
    sku = await make_sku(db, stock=10)
    build, field = BAD_BODIES[case]
    answer = await client.post("/api/v1/orders", json=build(sku), headers=await login("clerk"))
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == answer.status_code
    assert problem["type"].startswith("/problems/") and problem["title"] and problem["detail"]
    assert "Traceback" not in answer.text and "SELECT" not in answer.text and ".py" not in answer.text
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count_orders(db) == 0
    assert await stock_of(db, sku) == (10, 0, 10)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b'{"lines": ', "📦".encode() * 3])
async def test_malformed_json_is_a_4xx_problem(client, db, login, raw):
    headers = {**(await login("clerk")), "Content-Type": "application/json"}
    answer = await client.post("/api/v1/orders", content=raw, headers=headers)
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"] == "application/problem+json"
    assert await count_orders(db) == 0


async def test_s_sec_8_a_5_mb_body_is_refused_before_it_is_read(client, db, login):
    sku = await make_sku(db)
    body = order_body((sku, 1), note="x" * (5 * 1024 * 1024))
    answer = await client.post(
        "/api/v1/orders",
        content=json.dumps(body),
        headers={**(await login("clerk")), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["type"] == "/problems/body-too-large"
    assert await count_orders(db) == 0


async def test_s_idem_6_keys_are_remembered_for_24_hours_exactly(client, db, login):
    from dingdan.platform import clock

    sku = await make_sku(db, stock=10)
    frozen = clock.FrozenClock()
    clock.set_clock(frozen)
    headers = {**(await login("clerk")), "Idempotency-Key": "day-key"}
    first = await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
    frozen.advance(hours=23, minutes=59)
    within = await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
    assert within.status_code == 200 and within.json()["number"] == first.json()["number"]
    frozen.advance(minutes=2)
    after = await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)
    assert after.status_code == 201 and after.json()["number"] != first.json()["number"]
    assert await count_orders(db) == 2
