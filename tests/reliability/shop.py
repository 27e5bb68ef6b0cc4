"""A whole shop for the reliability tests: the app over its HTTP interface, a database that can
be emptied between hypothesis examples, the sandbox payment provider, the simulated carrier
and a frozen clock; plus `audit`, every invariant the system promises, checked at once.

Hypothesis drives examples synchronously, so the shop owns its own event loop: `shop.run(coro)`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select, text

from dingdan.auth import service as auth
from dingdan.auth.rules import Role
from dingdan.channels import service as channels
from dingdan.customers import service as customers
from dingdan.inventory import service as inventory
from dingdan.inventory.models import StockLevel
from dingdan.main import create_app
from dingdan.orders import service as orders
from dingdan.orders.states import OrderStatus, can_transition
from dingdan.payments import service as payments
from dingdan.payments.adapters.base import ProviderEvent
from dingdan.payments.adapters.sandbox import SandboxProvider, build_webhook
from dingdan.payments.adapters.sandbox_state import InMemorySandboxStore
from dingdan.payments.models import Payment, Refund, WebhookReceipt
from dingdan.payments.rules import CAPTURED_STATUSES
from dingdan.platform import clock, events
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings
from dingdan.reports.invariants import run_checks
from dingdan.shipping import service as shipping
from dingdan.shipping.adapters.base import TrackingEvent, TrackingSource
from dingdan.shipping.adapters.sim import encode_push_body, signed_push_headers
from dingdan.shipping.adapters.sim_journey import SIM_STATUS_CODES
from dingdan.tables import metadata
from dingdan.workflows.carriers import use_carriers
from factories.shipping import SIM_SECRET, known_carriers
from factories.shop import make_sku, order_body

T = TypeVar("T")
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
PEOPLE = ("auth_", "customers_")
_schema_ready: set[str] = set()
_sequence = itertools.count(1)


class ServerError(AssertionError):
    """The app answered 5xx: never acceptable, whatever the input."""


@dataclass(frozen=True)
class Delivery:
    """A provider webhook as it travels: the same event id every time it is sent."""

    event: ProviderEvent

    @property
    def event_id(self) -> str:
        return self.event.event_id


class Shop:
    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.loop = asyncio.new_event_loop()
        self.clock = clock.FrozenClock(START)
        self.db: Database
        self.http: httpx.AsyncClient
        self.app: Any
        self.owner: dict[str, str] = {}
        self.me: dict[str, str] = {}
        self.seen: Counter[str] = Counter()  # what happened, for `pytest -s`: requests, outcomes

    # --- lifecycle ---------------------------------------------------------------------
    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    def open(self) -> Shop:
        self.run(self._open())
        return self

    async def _open(self) -> None:
        self.db = Database(self.db_url, pool_size=5)
        async with self.db.write_engine.begin() as conn:
            if self.db.is_sqlite:
                await conn.run_sync(metadata.create_all)
            elif self.db_url not in _schema_ready:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
                await conn.run_sync(metadata.create_all)
                _schema_ready.add(self.db_url)
        self.app = create_app(get_settings(), db=self.db)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test")
        use_carriers(known_carriers())
        await self._wipe(metadata.sorted_tables)
        self.owner = await self._staff("owner")
        self.me = await self._customer()

    def close(self) -> None:
        async def shut() -> None:
            await self.http.aclose()
            await self.db.dispose()

        self.run(shut())
        use_carriers(None)
        clock.reset_clock()
        self.loop.close()

    async def reset(self) -> None:
        """An empty shop: every table emptied but the staff and customer accounts (hashing
        their passwords again for every example would cost more than the example)."""
        self.clock = clock.FrozenClock(START)
        clock.set_clock(self.clock)
        await self._wipe([t for t in metadata.sorted_tables if not t.name.startswith(PEOPLE)])
        channels.forget_cached()
        self.sandbox.store = InMemorySandboxStore()
        use_carriers(known_carriers())
        await self.db.write(_seed)

    async def _wipe(self, tables: Sequence[Any]) -> None:
        async with self.db.write_engine.begin() as conn:
            if self.db.is_sqlite:
                for table in reversed(tables):
                    await conn.execute(table.delete())
            else:
                names = ", ".join(t.name for t in tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

    async def _staff(self, role: str) -> dict[str, str]:
        async def create(session: Any) -> str:
            staff = await auth.create_staff(
                session, email=f"{role}@shop.test", password=PASSWORD, role=Role(role)
            )
            return await auth.issue_token(session, staff=staff)

        return {"Authorization": f"Bearer {await self.db.write(create)}"}

    async def _customer(self) -> dict[str, str]:
        async def create(session: Any) -> str:
            account = await customers.register(
                session, contact=f"buyer{next(_sequence)}@shop.test", password=PASSWORD
            )
            return await customers.issue_token(session, account=account)

        return {"Authorization": f"Bearer {await self.db.write(create)}"}

    # --- plumbing ------------------------------------------------------------------------
    @property
    def sandbox(self) -> SandboxProvider:
        provider = self.app.state.payment_providers.get("sandbox")
        assert isinstance(provider, SandboxProvider)
        return provider

    def tick(self, **delta: float) -> None:
        self.clock.advance(**(delta or {"seconds": 1}))

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        answer = await self.http.request(method, url, **kwargs)
        route = "/".join("{}" if any(c.isdigit() for c in part) else part for part in url.split("/"))
        self.seen[f"{method} {route} -> {answer.status_code}"] += 1
        if answer.status_code >= 500:
            raise ServerError(f"{method} {url} -> {answer.status_code}: {answer.text[:500]}")
        return answer

    async def drain(self) -> None:
        await self.app.state.relay.drain()

    async def make_sku(self, stock: int, price: str = "300") -> str:
        return await make_sku(self.db, stock=stock, price=price)

    # --- what people and providers do ----------------------------------------------------
    async def place(
        self, lines: Sequence[tuple[str, int]], *, via: str, payment: str, key: str, channel: str = "web"
    ) -> httpx.Response:
        """via "api": a sales channel's integration (staff token); via "storefront": the customer."""
        if via == "api":
            body = order_body(*lines, channel=channel, payment=payment)
            return await self.call(
                "POST", "/api/v1/orders", json=body, headers={**self.owner, "Idempotency-Key": key}
            )
        body = {
            "channel": channel if channel in {"web", "app"} else "web",
            "shipping_address": order_body(*lines)["shipping_address"],
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
            "payment_method": payment,
        }
        return await self.call(
            "POST", "/api/v1/me/orders", json=body, headers={**self.me, "Idempotency-Key": key}
        )

    async def start_payment(self, number: str) -> str | None:
        """The customer presses pay: the provider's payment id, or None when refused."""
        answer = await self.call("POST", f"/api/v1/me/orders/{number}/pay", headers=self.me)
        if answer.status_code != 200:
            return None
        return str(answer.json()["redirect_url"]).rsplit("/", 1)[1]

    async def deliver(self, delivery: Delivery) -> str:
        secret = self.app.state.payment_webhook_secrets["sandbox"][0]
        headers, body = build_webhook(delivery.event, secret, clock.now())
        answer = await self.call("POST", "/webhooks/payments/sandbox", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        outcome = str(answer.json()["outcome"])
        if outcome == "accepted":  # processed off the request path: drive the relay, read what it did
            await self.drain()
            outcome = await self.webhook_outcome(delivery.event.event_id)
        self.seen[f"{delivery.event.type} -> {outcome}"] += 1
        return outcome

    async def process_webhooks(self) -> None:
        """Relay batches until every received payment webhook is processed, and no further:
        the reactions to them (an automatic refund, notifications) wait for a `drain`."""
        while await self._unprocessed_webhooks() and await self.app.state.relay.deliver_batch():
            pass

    async def _unprocessed_webhooks(self) -> int:
        async with self.db.read() as session:
            found = await session.scalar(
                select(func.count()).select_from(WebhookReceipt).where(WebhookReceipt.outcome.is_(None))
            )
        return int(found or 0)

    async def webhook_outcome(self, event_id: str) -> str:
        async with self.db.read() as session:
            found = await payments.webhook_outcome(session, provider="sandbox", event_id=event_id)
        assert found is not None, f"webhook {event_id} was accepted but not processed"
        return found

    async def push_scans(self, tracking_number: str, scans: Sequence[tuple[str, datetime]]) -> httpx.Response:
        """The simulated carrier pushes these scans (code, time), signed as it signs them."""
        events_ = tuple(_scan(tracking_number, code, at) for code, at in scans)
        body = encode_push_body(tracking_number, events_, clock.now())
        headers = signed_push_headers(body, SIM_SECRET, clock.now())
        answer = await self.call("POST", "/webhooks/sim", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        await self.drain()
        return answer

    async def order(self, number: str) -> dict[str, Any]:
        answer = await self.call("GET", f"/api/v1/orders/{number}", headers=self.owner)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


async def _seed(session: Any) -> None:
    await channels.ensure_seed_channels(session)
    await inventory.ensure_default_warehouse(session)


def _scan(tracking_number: str, code: str, at: datetime) -> TrackingEvent:
    meaning = SIM_STATUS_CODES[code]
    return TrackingEvent(
        carrier="sim",
        tracking_number=tracking_number,
        occurred_at=at,
        status=meaning.status,
        reason=meaning.reason,
        source=TrackingSource.PUSH,
        description=meaning.description,
        raw_code=code,
    )


# --- the oracle ------------------------------------------------------------------------------
SHIPPED_STATES = {OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED}
AFTER_DELIVERY = {OrderStatus.DELIVERED, OrderStatus.COMPLETED}


@dataclass
class Expected:
    """What the test itself knows: stock put in (initially and by returns) per SKU."""

    stocked: dict[str, int]


async def audit(db: Database, expected: Expected | None = None) -> list[str]:
    """Every broken promise, in words; empty when all hold."""
    async with db.read() as session:
        problems = [f"{f.check}: {f.count} {f.examples[:3]}" for f in await run_checks(session) if f.count]
        books = await _load(session)
    for order in books.orders:
        problems += [f"{order['number']}: {p}" for p in _order_problems(order, books)]
    if expected is not None:
        problems += _stock_problems(books, expected)
    return problems


@dataclass
class Books:
    """Everything the audit reads, loaded in a few statements and grouped by order."""

    orders: list[Mapping[str, Any]]
    timeline: dict[str, list[events.Event]]
    payments: dict[str, list[Payment]]
    refunds: dict[str, list[Refund]]
    parcels: dict[int, list[Mapping[str, Any]]]
    delivered_parcels: set[int]
    lines: dict[int, list[Mapping[str, Any]]]
    shipped: dict[int, dict[str, int]]
    levels: dict[str, tuple[int, int]]


async def _load(session: Any) -> Books:
    rows = list((await session.execute(select(orders.ORDERS))).mappings())
    timeline: dict[str, list[events.Event]] = {}
    for row in (await session.scalars(_order_events())).all():
        timeline.setdefault(row.aggregate_id, []).append(
            events.Event(row.topic, "order", row.aggregate_id, row.payload)
        )
    payments: dict[str, list[Payment]] = {}
    for payment in (await session.scalars(select(Payment))).all():
        payments.setdefault(payment.order_number, []).append(payment)
    refunds: dict[str, list[Refund]] = {}
    for refund in (await session.scalars(select(Refund))).all():
        refunds.setdefault(refund.order_number, []).append(refund)
    parcels: dict[int, list[Mapping[str, Any]]] = {}
    for parcel in (await session.execute(select(shipping.SHIPMENTS))).mappings():
        parcels.setdefault(parcel["order_id"], []).append(parcel)
    delivered = set(
        (
            await session.scalars(
                select(shipping.SCANS.c.shipment_id).where(shipping.SCANS.c.status == "delivered")
            )
        ).all()
    )
    lines = await orders.get_lines(session, order_ids=[r["id"] for r in rows])
    shipped: dict[int, dict[str, int]] = {r["id"]: {} for r in rows}
    live = {p["id"]: p["order_id"] for ps in parcels.values() for p in ps if p["status"] != "cancelled"}
    for line in (await session.execute(select(shipping.SHIPMENT_LINES))).mappings():
        if line["shipment_id"] in live:
            units = shipped[live[line["shipment_id"]]]
            units[line["sku"]] = units.get(line["sku"], 0) + line["quantity"]
    levels = {
        level.sku: (level.on_hand, level.reserved)
        for level in (await session.scalars(select(StockLevel))).all()
    }
    return Books(rows, timeline, payments, refunds, parcels, delivered, lines, shipped, levels)


def _order_events() -> Any:
    row = events.EventRow
    return select(row).where(row.aggregate_type == "order").order_by(row.id)


def _order_problems(order: Mapping[str, Any], books: Books) -> list[str]:
    number, status = order["number"], OrderStatus(order["status"])
    problems = timeline_problems(books.timeline.get(number, []), status)
    problems += money_problems(order, books.payments.get(number, []), books.refunds.get(number, []))
    live = [p for p in books.parcels.get(order["id"], []) if p["status"] != "cancelled"]
    if status is OrderStatus.CANCELLED and live:
        problems.append(f"cancelled with parcels on their way {[p['id'] for p in live]}")
    if status in SHIPPED_STATES | AFTER_DELIVERY and not live:
        problems.append(f"{status} without any parcel")
    # A carrier may contradict itself later (a "returned" scan dated before "delivered"): the
    # parcel then shows it and opens a case, but each parcel of a delivered order was delivered.
    never = [p["id"] for p in live if p["id"] not in books.delivered_parcels]
    if status in AFTER_DELIVERY and never:
        problems.append(f"{status} but parcels {never} were never delivered")
    return problems


def timeline_problems(timeline: Sequence[events.Event], status: OrderStatus) -> list[str]:
    """The transitions in the timeline form one legal path from where the order started to
    its status now, one event per change: none missing, none doubled, none illegal."""
    placed = [e for e in timeline if e.topic == "order.placed"]
    if len(placed) != 1:
        return [f"{len(placed)} order.placed events"]
    current = OrderStatus(placed[0].payload["to_status"])
    problems = []
    for entry in timeline:
        to, before = entry.payload.get("to_status"), entry.payload.get("from_status")
        if entry.topic == "order.placed" or to is None or before is None:
            continue
        if entry.topic != f"order.{to}":
            problems.append(f"transition event {entry.topic} names {to}")
        if before != current.value:
            problems.append(f"transition {before}->{to} recorded while the order was {current}")
        elif not can_transition(current, OrderStatus(to)):
            problems.append(f"illegal transition {before}->{to} recorded")
        current = OrderStatus(to)
    if current is not status:
        problems.append(f"timeline ends in {current} but the order is {status}")
    return problems


def money_problems(
    order: Mapping[str, Any], payments: Sequence[Payment], refunds: Sequence[Refund]
) -> list[str]:
    captured = sum((p.amount for p in payments if p.status in CAPTURED_STATUSES), Decimal(0))
    refunded = sum((r.amount for r in refunds if r.status == "succeeded"), Decimal(0))
    problems = []
    for payment in payments:
        out = sum(
            (r.amount for r in refunds if r.payment_id == payment.id and r.status != "failed"), Decimal(0)
        )
        if out > payment.amount:
            problems.append(f"payment {payment.id}: {out} refunded or pending of {payment.amount}")
        if out and payment.status not in CAPTURED_STATUSES:
            problems.append(f"payment {payment.id} refunded while {payment.status}")
    if refunded > captured:
        problems.append(f"refunded {refunded} > captured {captured}")
    wanted = _payment_status(captured, refunded, order)
    if wanted is not None and order["payment_status"] != wanted:
        problems.append(f"payment_status {order['payment_status']}, money says {wanted}")
    if order["status"] == OrderStatus.PENDING_PAYMENT.value and captured:
        problems.append(f"still waiting for payment although {captured} was captured")
    return problems


def _payment_status(captured: Decimal, refunded: Decimal, order: Mapping[str, Any]) -> str | None:
    if not captured:
        return None if order["payment_method"] == "cod" else "unpaid"
    if not refunded:
        return "paid"
    return "refunded" if refunded >= captured else "partially_refunded"


def _stock_problems(books: Books, expected: Expected) -> list[str]:
    out: dict[str, int] = {}
    held: dict[str, int] = {}
    for order in books.orders:
        shipped = books.shipped[order["id"]]
        for sku, quantity in shipped.items():
            out[sku] = out.get(sku, 0) + quantity
        if order["status"] == OrderStatus.CANCELLED.value:
            continue
        for line in books.lines[order["id"]]:
            held[line["sku"]] = held.get(line["sku"], 0) + line["quantity"] - shipped.get(line["sku"], 0)
            shipped = {**shipped, line["sku"]: 0}
    problems = []
    for sku, stocked in expected.stocked.items():
        on_hand, reserved = books.levels.get(sku, (0, 0))
        if on_hand != stocked - out.get(sku, 0):
            problems.append(f"{sku}: on_hand {on_hand}, expected {stocked} in − {out.get(sku, 0)} shipped")
        if reserved != held.get(sku, 0):
            problems.append(f"{sku}: reserved {reserved}, open orders hold {held.get(sku, 0)}")
    return problems


async def webhook_receipts(db: Database) -> set[str]:
    async with db.read() as session:
        return set((await session.scalars(select(WebhookReceipt.event_id))).all())


async def order_states(db: Database) -> set[tuple[str, str, str]]:
    """(status, payment_status, fulfillment_status) of every order: what the run reached."""
    table = orders.ORDERS
    query = select(table.c.status, table.c.payment_status, table.c.fulfillment_status).distinct()
    async with db.read() as session:
        return {tuple(row) for row in await session.execute(query)}  # type: ignore[misc]


def later(at: datetime, minutes: float) -> datetime:
    return at + timedelta(minutes=minutes)
