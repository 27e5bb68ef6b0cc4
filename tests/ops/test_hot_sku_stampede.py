"""S-INV-1 against real processes: four `dingdan serve` API processes on PostgreSQL share one
SKU of 100 units, and many HTTP clients at once try to buy it one unit at a time. Each process
places the orders that reach it on its own connections and in its own batches, so the only
thing keeping them from selling unit 101 is the database's guard."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from ops.cluster import Cluster, dingdan_check

from dingdan.platform.db import Database
from factories.shop import holders_of, make_sku, order_body, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]

API_PROCESSES = 4
# 4 processes × (6 + 3 on demand) = 36 connections, well inside PostgreSQL's default 100
POOL_SIZE = os.environ.get("DINGDAN_S_INV_1_POOL_SIZE", "6")
STOCK = 100
OUT_OF_STOCK = ("application/problem+json", "/problems/out-of-stock")


@contextmanager
def api_processes(db: Database, count: int) -> Iterator[list[str]]:
    """`count` API processes on the test's database, relay on and no broker (jobs in-process)."""
    cluster = Cluster(db.url, broker_url="", settings={"DINGDAN_DATABASE_POOL_SIZE": POOL_SIZE})
    try:
        yield cluster.start_apis(count)
    finally:
        cluster.stop()


async def stampede(
    apis: list[str], token: str, sku: str, attempts: int, clients: int
) -> list[tuple[int, str]]:
    """`clients` buyers at once, buyer i on API process i mod len(apis), each placing orders of
    one unit one after another until `attempts` have been tried; (status, problem type) each,
    status 0 for a request that got no answer."""
    tickets = iter(range(attempts))
    answers: list[tuple[int, str]] = []

    async def buyer(base: str) -> None:
        # A client of its own each, as separate buyers have: one pool shared by all of them
        # can close a connection it has just handed to a waiting request (encode/httpcore#1110).
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            http.headers["Authorization"] = f"Bearer {token}"
            for index in tickets:
                body = order_body((sku, 1))
                body["customer"]["phone"] = f"09{index:08d}"
                try:
                    answer = await http.post("/api/v1/orders", json=body)
                except httpx.TransportError as lost:  # no answer at all: counted, not raised
                    answers.append((0, repr(lost)))
                    continue
                kind = answer.json().get("type", "") if answer.status_code >= 400 else ""
                answers.append((answer.status_code, f"{answer.headers.get('content-type')} {kind}"))

    await asyncio.gather(*[buyer(apis[i % len(apis)]) for i in range(clients)])
    return answers


STAMPEDES = [
    pytest.param(1_000, 50, id="1000-attempts-50-clients"),
    pytest.param(10_000, 200, id="10000-attempts-200-clients", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("attempts", "clients"), STAMPEDES)
async def test_s_inv_1_a_stampede_through_four_api_processes_sells_exactly_100(db, login, attempts, clients):
    sku = await make_sku(db, stock=STOCK)
    token = (await login("clerk"))["Authorization"].removeprefix("Bearer ")
    begun = time.monotonic()
    with api_processes(db, API_PROCESSES) as apis:
        started = time.monotonic()
        answers = await stampede(apis, token, sku, attempts, clients)
        seconds = time.monotonic() - started
    statuses = Counter(status for status, _ in answers)
    lost = Counter(problem for status, problem in answers if status == 0)
    assert statuses == {201: STOCK, 409: attempts - STOCK}, (statuses, lost)  # and so no 5xx
    refusals = {problem for status, problem in answers if status == 409}
    assert refusals == {" ".join(OUT_OF_STOCK)}
    assert await stock_of(db, sku) == (STOCK, STOCK, 0)  # on hand, reserved, available
    assert await holders_of(db, sku) == (STOCK, STOCK)  # ledger sum, open orders holding it
    assert dingdan_check({**os.environ, "DINGDAN_DATABASE_URL": db.url}) == "ok"
    print(f"{API_PROCESSES} processes up in {started - begun:.1f} s; {attempts} attempts in {seconds:.1f} s")
