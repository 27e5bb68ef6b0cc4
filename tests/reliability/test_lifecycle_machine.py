"""S-FUZZ-2: a state machine over the whole order lifecycle, through the HTTP interface.

Orders are placed by a sales channel's integration and by customers (with Idempotency-Keys,
sometimes replayed or reused with another body), paid in the sandbox (the provider's signed
webhook, delivered at once, later, or again), confirmed, shipped in one or more parcels whose
carrier scans arrive in any order, cancelled, refunded in full or in part (the provider's
refund webhook echoes back), returned and restocked, and left unpaid until they expire.

After every step every promise is checked: `dingdan check`'s auditor, refunded ≤ captured, the
payment status the money implies, a status that fits what happened to the parcels, exactly
one timeline event per accepted transition along a legal path, stock = ledger = what the test
put in minus what left, and reservations = what open orders hold.

CI: 200 examples of 50 steps on PostgreSQL, the scenario's CI size, and 25 of 30 on SQLite,
whose audit after every step costs twice as much; DINGDAN_STATEFUL_EXAMPLES and
DINGDAN_STATEFUL_STEPS set both (`make test-long`: 5,000 examples).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from dingdan.payments.adapters.sandbox_state import SandboxPaymentState
from dingdan.workflows.aftersales_refunds import settle_aftersales_refunds
from dingdan.workflows.expire_unpaid import expire_unpaid_orders
from reliability.shop import Delivery, Expected, Shop, audit, later, order_states, webhook_receipts

SIZES = {"postgres": (200, 50), "sqlite": (25, 30)}  # (examples, steps) by database
SCAN_CODES = ["S10", "S20", "S30", "S31", "S40", "S62", "S82"]
lines_strategy = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 2)), min_size=1, max_size=2)


@dataclass(frozen=True)
class Request:
    via: str
    lines: tuple[tuple[str, int], ...]
    payment: str
    channel: str


@dataclass
class Parcel:
    id: int
    tracking_number: str
    order: str
    shipped_at: datetime


@dataclass
class Model:
    stocked: dict[str, int] = field(default_factory=dict)
    keys: dict[tuple[str, str], tuple[Request, str]] = field(default_factory=dict)
    placed: dict[str, Request] = field(default_factory=dict)
    delivered: set[str] = field(default_factory=set)
    events_seen: int = 0


class OrderLifecycle(RuleBasedStateMachine):
    shop: Shop
    orders = Bundle("orders")
    keys = Bundle("keys")
    events = Bundle("events")
    parcels = Bundle("parcels")
    returns = Bundle("returns")

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.skus: list[str] = []
        self.key_numbers = itertools.count(1)

    def run(self, work):  # type: ignore[no-untyped-def]
        return self.shop.run(work)

    # --- setup ------------------------------------------------------------------------------
    @initialize(stock=st.lists(st.integers(0, 12), min_size=3, max_size=3))
    def open_the_shop(self, stock: list[int]) -> None:
        self.run(self.shop.reset())
        self.shop.seen["examples"] += 1
        for units in stock:
            sku = self.run(self.shop.make_sku(units, price="300"))
            self.skus.append(sku)
            self.model.stocked[sku] = units

    # --- intake -----------------------------------------------------------------------------
    @rule(target=keys)
    def new_key(self) -> str:
        return f"key-{next(self.key_numbers)}"

    @rule(
        target=orders,
        key=st.one_of(st.none(), keys),
        via=st.sampled_from(["api", "storefront"]),
        payment=st.sampled_from(["cod", "online"]),
        channel=st.sampled_from(["web", "manual"]),
        picks=lines_strategy,
    )
    def place(self, key: str | None, via: str, payment: str, channel: str, picks: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
        key = key or f"fresh-{next(self.key_numbers)}"
        merged: dict[str, int] = {}
        for index, quantity in picks:
            merged[self.skus[index]] = merged.get(self.skus[index], 0) + quantity
        request = Request(via, tuple(sorted(merged.items())), payment, channel if via == "api" else "web")
        return self._send(key, request)

    @rule(target=orders, key=keys)
    def replay_a_key(self, key: str):  # type: ignore[no-untyped-def]
        earlier = [request for (via, k), (request, _) in self.model.keys.items() if k == key]
        return self._send(key, earlier[0]) if earlier else multiple()

    def _send(self, key: str, request: Request):  # type: ignore[no-untyped-def]
        answer = self.run(
            self.shop.place(
                request.lines, via=request.via, payment=request.payment, key=key, channel=request.channel
            )
        )
        known = self.model.keys.get((request.via, key))
        if known is not None:
            if known[0] == request:
                assert answer.status_code == 200, answer.text
                assert answer.headers["Idempotent-Replayed"] == "true"
                assert answer.json()["number"] == known[1]
            else:
                assert answer.status_code == 422, answer.text
                assert answer.json()["type"] == "/problems/idempotency-key-reused"
            return multiple()
        assert answer.status_code in {201, 409}, answer.text
        if answer.status_code == 409:
            assert answer.json()["type"] == "/problems/out-of-stock"
            return multiple()
        number = answer.json()["number"]
        self.model.keys[(request.via, key)] = (request, number)
        self.model.placed[number] = request
        return number

    # --- payments ---------------------------------------------------------------------------
    def _fresh_events(self) -> list[Delivery]:
        provider_events = self.shop.sandbox.store.list_events()
        fresh = provider_events[self.model.events_seen :]
        self.model.events_seen = len(provider_events)
        return [Delivery(event) for event in fresh]

    @rule(target=events, number=orders, succeed=st.booleans(), deliver_now=st.booleans())
    def pay(self, number: str, succeed: bool, deliver_now: bool):  # type: ignore[no-untyped-def]
        """The customer pays (or the payment fails) on the provider's page; the provider's
        webhook arrives at once or is held back (delivered later by `deliver`)."""
        if self.model.placed[number].via != "storefront":
            return multiple()
        payment_id = self.run(self.shop.start_payment(number))
        if payment_id is None:
            return multiple()
        provider_payment = self.shop.sandbox.get_payment(payment_id)
        if provider_payment.state is not SandboxPaymentState.OPEN:
            return multiple()
        self.shop.sandbox.complete_payment(payment_id, succeeded=succeed)
        fresh = self._fresh_events()
        if deliver_now:
            for delivery in fresh:
                self._deliver(delivery)
        return multiple(*fresh)

    @rule(delivery=events)
    def deliver(self, delivery: Delivery) -> None:
        """A provider webhook arrives: late, out of order, or again (the same event id)."""
        self._deliver(delivery)

    def _deliver(self, delivery: Delivery) -> None:
        outcome = self.run(self.shop.deliver(delivery))
        if delivery.event_id in self.model.delivered:
            assert outcome == "duplicate", outcome
        self.model.delivered.add(delivery.event_id)

    @rule(target=events, minutes=st.sampled_from([1, 10, 31]))
    def time_passes_and_unpaid_orders_expire(self, minutes: int):  # type: ignore[no-untyped-def]
        self.shop.tick(minutes=minutes)
        self.shop.sandbox.expire_due_payments()
        self.run(expire_unpaid_orders(self.shop.db))
        return multiple(*self._fresh_events())

    @rule(target=events, number=orders, amount=st.sampled_from([None, "1", "50.50", "300"]))
    def refund(self, number: str, amount: str | None):  # type: ignore[no-untyped-def]
        body = {"reason": "test"} | ({"amount": amount} if amount else {})
        answer = self.run(
            self.shop.call("POST", f"/api/v1/orders/{number}/refunds", json=body, headers=self.shop.owner)
        )
        assert answer.status_code in {201, 409}, answer.text
        return multiple(*self._fresh_events())

    # --- the merchant -----------------------------------------------------------------------
    @rule(number=orders)
    def advance(self, number: str) -> None:
        """The next step of the happy path, whatever it is now: reaches deep states in few steps."""
        status = self.run(self.shop.order(number))["status"]
        if status == "pending_payment" and self.model.placed[number].via == "storefront":
            self.pay(number, succeed=True, deliver_now=True)
        elif status in {"pending_payment", "pending_review"}:
            self.confirm(number)
        elif status in {"confirmed", "partially_shipped"}:
            self.ship(number, whole=True)
        elif status == "shipped":
            for parcel in self.run(self._parcels_of(number)):
                scans = [("S10", 60), ("S20", 600), ("S40", 1500)]
                at = parcel.shipped_at
                self.run(self.shop.push_scans(parcel.tracking_number, [(c, later(at, m)) for c, m in scans]))
        elif status == "delivered":
            self.confirm_receipt(number)

    async def _parcels_of(self, number: str) -> list[Parcel]:
        answer = await self.shop.call("GET", f"/api/v1/orders/{number}/shipments", headers=self.shop.owner)
        return [
            Parcel(p["id"], p["tracking_number"], number, datetime.fromisoformat(p["shipped_at"]))
            for p in answer.json()["shipments"]
            if p["status"] != "cancelled"
        ]

    @rule(number=orders)
    def confirm(self, number: str) -> None:
        answer = self.run(self.shop.call("POST", f"/api/v1/orders/{number}/confirm", headers=self.shop.owner))
        assert answer.status_code in {200, 409}, answer.text

    @rule(number=orders, by_customer=st.booleans())
    def cancel(self, number: str, by_customer: bool) -> None:
        if by_customer:
            url, headers = f"/api/v1/me/orders/{number}/cancel", self.shop.me
        else:
            url, headers = f"/api/v1/orders/{number}/cancel", self.shop.owner
        answer = self.run(self.shop.call("POST", url, headers=headers))
        assert answer.status_code in {200, 404, 409}, answer.text
        if answer.status_code == 404:
            assert by_customer and self.model.placed[number].via == "api"

    @rule(target=parcels, number=orders, whole=st.booleans())
    def ship(self, number: str, whole: bool):  # type: ignore[no-untyped-def]
        body: dict[str, object] = {"carrier": "sim"}
        if not whole:
            body["lines"] = [{"sku": self.model.placed[number].lines[0][0], "quantity": 1}]
        answer = self.run(
            self.shop.call("POST", f"/api/v1/orders/{number}/shipments", json=body, headers=self.shop.owner)
        )
        assert answer.status_code in {201, 409, 422}, answer.text
        if answer.status_code != 201:
            return multiple()
        shipped = answer.json()
        return Parcel(shipped["id"], shipped["tracking_number"], number, self.shop.clock())

    @rule(parcel=parcels, code=st.sampled_from(SCAN_CODES), minutes=st.integers(1, 3000))
    def carrier_scan(self, parcel: Parcel, code: str, minutes: int) -> None:
        """One scan pushed by the carrier, stamped at any time after shipping: scans arrive
        out of order (delivered before in transit), and the same scan again."""
        self.run(self.shop.push_scans(parcel.tracking_number, [(code, later(parcel.shipped_at, minutes))]))

    @rule(parcel=parcels)
    def cancel_parcel(self, parcel: Parcel) -> None:
        answer = self.run(
            self.shop.call("POST", f"/api/v1/shipments/{parcel.id}/cancel", headers=self.shop.owner)
        )
        assert answer.status_code in {200, 409}, answer.text

    # --- the customer, after delivery -------------------------------------------------------
    @rule(number=orders)
    def confirm_receipt(self, number: str) -> None:
        answer = self.run(
            self.shop.call("POST", f"/api/v1/me/orders/{number}/confirm-receipt", headers=self.shop.me)
        )
        assert answer.status_code in {200, 404, 409}, answer.text

    @rule(target=returns, number=orders)
    def ask_for_a_return(self, number: str):  # type: ignore[no-untyped-def]
        body = {"kind": "return_refund", "lines": [{"line_no": 1, "quantity": 1}], "reason": "尺寸不合"}
        answer = self.run(
            self.shop.call(
                "POST", f"/api/v1/me/orders/{number}/aftersales/requests", json=body, headers=self.shop.me
            )
        )
        assert answer.status_code in {201, 404, 409, 422}, answer.text
        if answer.status_code != 201:
            return multiple()
        request = answer.json()["number"]
        url = f"/api/v1/aftersales/requests/{request}/decision"
        decided = self.run(self.shop.call("POST", url, json={"approve": True}, headers=self.shop.owner))
        assert decided.status_code == 200, decided.text
        return (request, self.model.placed[number].lines[0][0])

    @rule(target=events, returned=returns)
    def receive_restock_and_refund(self, returned: tuple[str, str]):  # type: ignore[no-untyped-def]
        request, sku = returned
        url = f"/api/v1/aftersales/requests/{request}"
        received = self.run(self.shop.call("POST", f"{url}/received", json={}, headers=self.shop.owner))
        if received.status_code == 409:  # this request went through already
            return multiple()
        assert received.status_code == 200, received.text
        restocked = self.run(
            self.shop.call(
                "POST", f"{url}/disposition", json={"disposition": "restock"}, headers=self.shop.owner
            )
        )
        assert restocked.status_code == 200, restocked.text
        self.model.stocked[sku] += 1
        refunded = self.run(self.shop.call("POST", f"{url}/refund", headers=self.shop.owner))
        assert refunded.status_code == 200, refunded.text
        self.run(self.shop.drain())
        self.run(settle_aftersales_refunds(self.shop.db))
        return multiple(*self._fresh_events())

    # --- after every step -------------------------------------------------------------------
    @invariant()
    def every_promise_holds(self) -> None:
        if not self.skus:
            return
        self.shop.seen["steps"] += 1
        self.shop.tick()
        self.run(self.shop.drain())
        problems = self.run(audit(self.shop.db, Expected(self.model.stocked)))
        assert not problems, "\n".join(problems)
        receipts = self.run(webhook_receipts(self.shop.db))
        assert receipts == self.model.delivered
        for status in self.run(order_states(self.shop.db)):
            self.shop.seen[f"order reached {status}"] += 1


def sized_for(database: str) -> settings:
    examples, steps = SIZES[database]
    return settings(
        max_examples=int(os.environ.get("DINGDAN_STATEFUL_EXAMPLES", examples)),
        stateful_step_count=int(os.environ.get("DINGDAN_STATEFUL_STEPS", steps)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def test_s_fuzz_2_order_lifecycle_keeps_every_invariant(shop: Shop, db_url: str) -> None:
    machine = type("OrderLifecycleHere", (OrderLifecycle,), {"shop": shop})
    run_state_machine_as_test(
        machine, settings=sized_for("sqlite" if db_url.startswith("sqlite") else "postgres")
    )
    print(*sorted(shop.seen.items()), sep="\n")
