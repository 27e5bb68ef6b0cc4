"""The nemesis soak's workload: shoppers and staff through the real HTTP API, every request an
operation in a history that records its invocation and its completion: `ok` (2xx), `fail`
(4xx, or the request never left: nothing changed) or `info` (timeout, dropped connection or
5xx: it may or may not have taken effect).

Two journeys, mixed at random:

- phone order: staff place a cash-on-delivery order on the `manual` channel, confirm it, then
  ship it (50 %), cancel it (25 %) or leave it open;
- web order: a customer places an online order, then leaves it unpaid to expire (15 %),
  cancels it (10 %) or pays on the sandbox's pay page; a paid order is refunded (35 %),
  shipped (45 %) or left.

Every order carries its Idempotency-Key in its note, so the database itself tells how many
orders a key made, whatever the API answered.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

OK, FAIL, INFO = "ok", "fail", "info"
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
BACK_OFF = 1.0  # seconds a client waits after a request went unanswered or answered 5xx
ADDRESS = {
    "recipient": "壓測客",
    "phone": "0912345678",
    "city": "臺北市",
    "district": "大安區",
    "postal_code": "106",
    "line1": "復興南路一段 1 號",
}
PLENTY_SKUS = [f"B-{i:05d}" for i in range(5, 51)]
SCARCE_SKUS = [f"B-{i:05d}" for i in range(1, 5)]  # a few units each: out-of-stock answers


@dataclass
class Op:
    index: int
    kind: str  # place, confirm, pay, pay-page, settle, cancel, ship, refund
    key: str  # the Idempotency-Key of the order the op belongs to
    api: int
    order: str  # its number, once known
    invoked: float  # seconds since the run started
    completed: float | None = None
    type: str = "invoke"
    status: int = 0
    detail: str = ""


@dataclass
class History:
    started: float = field(default_factory=time.monotonic)
    ops: list[Op] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def invoke(self, kind: str, key: str, api: int, order: str = "") -> Op:
        self.ops.append(Op(len(self.ops), kind, key, api, order, self.now()))
        return self.ops[-1]

    def complete(self, op: Op, outcome: str, status: int = 0, detail: str = "") -> None:
        op.completed, op.type, op.status, op.detail = self.now(), outcome, status, detail

    def write(self, path: Path) -> None:
        """One line per invocation and per completion, in the order they happened."""
        lines = []
        for op in self.ops:
            fields = asdict(op)
            lines.append((op.invoked, {**fields, "type": "invoke", "status": None, "detail": ""}))
            if op.completed is not None:
                lines.append((op.completed, fields))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for _, line in sorted(lines, key=lambda pair: pair[0]):
                out.write(json.dumps(line, ensure_ascii=False) + "\n")


class Pacer:
    """Hands out request slots at `rate` a second however many clients ask; a stalled system
    is not flooded afterwards (slots missed are not made up)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self.next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(self.next, now)
        self.next = slot + self.interval
        await asyncio.sleep(slot - now)


@dataclass
class Placement:
    """An order request as sent, to be sent again with the same key when its outcome is unknown."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Workload:
    http: httpx.AsyncClient
    apis: list[str]
    staff: dict[str, str]
    customers: list[dict[str, str]]
    pacer: Pacer
    history: History = field(default_factory=History)
    placements: dict[str, Placement] = field(default_factory=dict)
    refused_until: dict[int, float] = field(default_factory=dict)  # API index: monotonic time
    stopped: bool = False

    async def run(self, clients: int) -> None:
        await asyncio.gather(*(self._client(n) for n in range(clients)))

    async def _client(self, number: int) -> None:
        sequence = 0
        while not self.stopped:
            sequence += 1
            key = f"nem-{number}-{sequence}-{random.randrange(10**6):06d}"
            journey = self.phone_order if random.random() < 0.5 else self.web_order
            await journey(key)

    async def send(
        self, kind: str, key: str, api: int, method: str, path: str, order: str = "", **kwargs: Any
    ) -> tuple[Op, httpx.Response | None]:
        """One operation, and the answer when there was one, whatever its status."""
        await self.pacer.wait()
        op = self.history.invoke(kind, key, api, order)
        try:
            answer = await self.http.request(method, self.apis[api] + path, **kwargs)
        except NEVER_SENT as error:
            self.history.complete(op, FAIL, detail=type(error).__name__)
            self.refused_until[api] = time.monotonic() + 1
            return op, None
        except httpx.HTTPError as error:
            self.history.complete(op, INFO, detail=type(error).__name__)
            await asyncio.sleep(BACK_OFF)
            return op, None
        status = answer.status_code
        outcome = OK if status < 400 else FAIL if status < 500 else INFO
        self.history.complete(op, outcome, status, _detail(answer))
        if outcome == INFO:
            await asyncio.sleep(BACK_OFF)
        return op, answer

    async def place(self, key: str, placement: Placement, kind: str = "place") -> Op:
        """The placement; with the order's number when it was placed (or had been, under this key)."""
        self.placements[key] = placement
        headers = {**placement.headers, "Idempotency-Key": key}
        op, answer = await self.send(
            kind, key, self._any_api(), "POST", placement.path, json=placement.body, headers=headers
        )
        if answer is not None and op.type == OK:
            op.order = answer.json()["number"]
        return op

    # --- journeys --------------------------------------------------------------------------
    async def phone_order(self, key: str) -> None:
        body = {
            "channel": "manual",
            "customer": {"name": "電話客", "phone": f"09{random.randrange(10**8):08d}"},
            "shipping_address": ADDRESS,
            "lines": _lines(),
            "payment_method": "cod",
            "note": key,
        }
        number = (await self.place(key, Placement("/api/v1/orders", body, self.staff))).order
        orders = f"/api/v1/orders/{number}"
        if not number or not await self._post("confirm", key, number, f"{orders}/confirm", self.staff):
            return
        chance = random.random()
        if chance < 0.5:
            await self._post("ship", key, number, f"{orders}/shipments", self.staff, {"carrier": "sim"})
        elif chance < 0.75:
            await self._post("cancel", key, number, f"{orders}/cancel", self.staff, {"reason": "客戶取消"})

    async def web_order(self, key: str) -> None:
        customer = random.choice(self.customers)
        body = {"channel": "web", "shipping_address": ADDRESS, "lines": _lines(), "payment_method": "online"}
        number = (
            await self.place(key, Placement("/api/v1/me/orders", {**body, "note": key}, customer))
        ).order
        chance = random.random()
        if not number or chance < 0.15:
            return  # unpaid: the reservation expires
        if chance < 0.25:
            await self._post("cancel", key, number, f"/api/v1/me/orders/{number}/cancel", customer)
            return
        api = self._any_api()  # the sandbox keeps a payment's books in the process that opened it
        if not await self.pay(key, api, number, customer):
            return
        chance, orders = random.random(), f"/api/v1/orders/{number}"
        if chance < 0.35:
            keyed = {**self.staff, "Idempotency-Key": f"{key}-refund"}
            await self._post("refund", key, number, f"{orders}/refunds", keyed, api=api)
        elif chance < 0.8:
            await self._post("ship", key, number, f"{orders}/shipments", self.staff, {"carrier": "sim"})

    async def pay(self, key: str, api: int, number: str, customer: dict[str, str]) -> bool:
        """The customer pays on the sandbox's pay page, which sends the signed webhook."""
        pay = f"/api/v1/me/orders/{number}/pay"
        _, opened = await self.send("pay", key, api, "POST", pay, number, headers=customer)
        if opened is None or opened.status_code != 200:
            return False
        page_path = httpx.URL(opened.json()["redirect_url"]).path
        _, page = await self.send("pay-page", key, api, "GET", page_path, number)
        if page is None or page.status_code != 200:
            return False
        form = {"outcome": "succeed", "csrf_token": self.http.cookies.get("dd_csrf", "")}  # double submit
        settle, _ = await self.send("settle", key, api, "POST", page_path, number, data=form)
        return settle.status == 303

    async def _post(
        self,
        kind: str,
        key: str,
        number: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any] | None = None,
        api: int | None = None,
    ) -> bool:
        api = self._any_api() if api is None else api
        op, _ = await self.send(kind, key, api, "POST", path, number, json=body or {}, headers=headers)
        return op.type == OK

    def _any_api(self) -> int:
        """As a load balancer would: an API that refused a connection is left alone for a second."""
        now = time.monotonic()
        up = [api for api in range(len(self.apis)) if self.refused_until.get(api, 0) <= now]
        return random.choice(up or range(len(self.apis)))


def _lines() -> list[dict[str, Any]]:
    count = random.choice((1, 1, 2, 3))
    skus = [random.choice(SCARCE_SKUS if random.random() < 0.1 else PLENTY_SKUS) for _ in range(count)]
    return [{"sku": sku, "quantity": random.randint(1, 2)} for sku in skus]


def _detail(answer: httpx.Response) -> str:
    if answer.status_code < 400:
        return ""
    try:
        problem = answer.json()
    except ValueError:
        return answer.text[:80]
    return str(problem.get("type", "")).rsplit("/", 1)[-1] if isinstance(problem, dict) else ""
