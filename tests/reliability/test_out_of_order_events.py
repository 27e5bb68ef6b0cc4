"""S-WH-5: carrier scans and payment/refund webhooks arriving in any order, some twice.

Each example builds two identical orders in lockstep. One gets its provider events in a
random permutation (with replays), the other in provider-timestamp order. Their final states
must be equal, and neither may record an illegal transition (the audit checks every timeline).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reliability.shop import Delivery, Shop, audit, later

KEYS = itertools.count(1)
EXAMPLES = int(os.environ.get("DINGDAN_STATEFUL_EXAMPLES", "25"))
SHUFFLES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JOURNEYS = {
    "delivered": ["S10", "S20", "S21", "S22", "S30", "S40"],
    "second_attempt": ["S10", "S20", "S30", "S31", "S30", "S40"],
    "refused": ["S10", "S20", "S30", "S60", "S61", "S62"],
    "lost": ["S10", "S20", "S82"],
}


@st.composite
def journey(draw: Any) -> list[tuple[str, int]]:
    """A parcel's real scans so far: a prefix of one journey, at increasing minutes."""
    codes = JOURNEYS[draw(st.sampled_from(sorted(JOURNEYS)))]
    codes = codes[: draw(st.integers(1, len(codes)))]
    gaps = draw(st.lists(st.integers(1, 600), min_size=len(codes), max_size=len(codes)))
    return [(code, sum(gaps[: i + 1])) for i, code in enumerate(codes)]


@st.composite
def shuffled_scans(draw: Any) -> tuple[list[list[tuple[str, int]]], list[tuple[int, int]]]:
    parcels = draw(st.lists(journey(), min_size=1, max_size=2))
    scans = [(p, i) for p, scans in enumerate(parcels) for i in range(len(scans))]
    replays = draw(st.lists(st.sampled_from(scans), max_size=3))
    return parcels, draw(st.permutations(scans + replays))


@given(plan=shuffled_scans())
@SHUFFLES
def test_s_wh_5_carrier_scans_in_any_order_end_as_in_timestamp_order(
    shop: Shop, plan: tuple[list[list[tuple[str, int]]], list[tuple[int, int]]]
) -> None:
    shop.run(_compare_scans(shop, *plan))


async def _compare_scans(
    shop: Shop, journeys: list[list[tuple[str, int]]], arrival: list[tuple[int, int]]
) -> None:
    twins = [await _shipped_in_parcels(shop, len(journeys)) for _ in range(2)]
    shuffled, in_order = twins
    for parcel, index in arrival:
        code, minutes = journeys[parcel][index]
        await shop.push_scans(
            shuffled[1][parcel]["tracking_number"], [(code, _at(shuffled[1][parcel], minutes))]
        )
    by_time = sorted(
        (minutes, parcel, code) for parcel, scans in enumerate(journeys) for code, minutes in scans
    )
    for minutes, parcel, code in by_time:
        await shop.push_scans(
            in_order[1][parcel]["tracking_number"], [(code, _at(in_order[1][parcel], minutes))]
        )
    await shop.drain()
    assert await _final_state(shop, shuffled[0]) == await _final_state(shop, in_order[0])
    assert await audit(shop.db) == []


async def _shipped_in_parcels(shop: Shop, parcels: int) -> tuple[str, list[dict[str, Any]]]:
    sku = await shop.make_sku(parcels)  # a SKU of its own: no duplicate suspicion
    placed = await shop.place([(sku, parcels)], via="api", payment="cod", key=f"scan-{next(KEYS)}")
    assert placed.status_code == 201 and placed.json()["status"] == "confirmed", placed.text
    number = placed.json()["number"]
    shipped = []
    for _ in range(parcels):
        body = {"carrier": "sim", "lines": [{"sku": sku, "quantity": 1}]}
        answer = await shop.call("POST", f"/api/v1/orders/{number}/shipments", json=body, headers=shop.owner)
        assert answer.status_code == 201, answer.text
        shipped.append(answer.json())
    return number, shipped


def _at(parcel: dict[str, Any], minutes: int) -> datetime:
    return later(datetime.fromisoformat(parcel["shipped_at"]), minutes)


async def _final_state(shop: Shop, number: str) -> dict[str, Any]:
    order = await shop.order(number)
    answer = await shop.call("GET", f"/api/v1/orders/{number}/shipments", headers=shop.owner)
    timeline = await shop.call("GET", f"/api/v1/orders/{number}/timeline", headers=shop.owner)
    return {
        "status": order["status"],
        "fulfillment_status": order["fulfillment_status"],
        "parcels": [(p["status"], p["reason"]) for p in answer.json()["shipments"]],
        "open_cases": sorted(c["cause"] for c in answer.json()["open_cases"]),
        "transitions": _transitions(timeline.json()),
    }


def _transitions(timeline: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["from_status"], e["to_status"]) for e in timeline if e["from_status"] and e["to_status"]]


# --- payments --------------------------------------------------------------------------------
@given(order=st.data(), refunds=st.lists(st.sampled_from(["10", "25.50", "100"]), max_size=2))
@SHUFFLES
def test_s_wh_5_payment_and_refund_webhooks_in_any_order_end_as_in_timestamp_order(
    shop: Shop, order: st.DataObject, refunds: list[str]
) -> None:
    shop.run(_compare_payments(shop, order, refunds))


async def _compare_payments(shop: Shop, data: st.DataObject, refunds: list[str]) -> None:
    """An abandoned payment expires, a second one succeeds, staff refund parts of it: the
    expiry, the capture and the refund echoes reach one twin shuffled, the other in order."""
    twins = []
    for _ in range(2):
        sku = await shop.make_sku(1)
        placed = await shop.place([(sku, 1)], via="storefront", payment="online", key=f"pay-{next(KEYS)}")
        assert placed.status_code == 201, placed.text
        twins.append(placed.json()["number"])
    for number in twins:
        assert await shop.start_payment(number) is not None
    shop.tick(minutes=31)
    held = [[Delivery(e)] for e in shop.sandbox.expire_due_payments()]
    for twin, number in enumerate(twins):
        second = await shop.start_payment(number)
        assert second is not None
        held[twin].append(Delivery(shop.sandbox.complete_payment(second, succeeded=True)))
    await _deliver_twins(shop, data, held)
    for amount in refunds:
        before = len(shop.sandbox.store.list_events())
        for number in twins:
            url = f"/api/v1/orders/{number}/refunds"
            answer = await shop.call("POST", url, json={"amount": amount}, headers=shop.owner)
            assert answer.status_code == 201, answer.text
        echoes = [Delivery(e) for e in shop.sandbox.store.list_events()[before:]]
        held = [[*held[0], echoes[0]], [*held[1], echoes[1]]]
    await _deliver_twins(shop, data, held)
    shuffled, in_order = [await _money_state(shop, number) for number in twins]
    assert shuffled == in_order
    assert await audit(shop.db) == []


async def _deliver_twins(shop: Shop, data: st.DataObject, held: list[list[Delivery]]) -> None:
    """Twin 0: a permutation with replays; twin 1: provider-timestamp order."""
    replays = data.draw(st.lists(st.sampled_from(held[0]), max_size=2))
    for delivery in data.draw(st.permutations(held[0] + replays)):
        await shop.deliver(delivery)
    for delivery in sorted(held[1], key=lambda d: d.event.occurred_at):
        await shop.deliver(delivery)
    await shop.drain()


async def _money_state(shop: Shop, number: str) -> dict[str, Any]:
    order = await shop.order(number)
    answer = (await shop.call("GET", f"/api/v1/orders/{number}/payments", headers=shop.owner)).json()
    timeline = await shop.call("GET", f"/api/v1/orders/{number}/timeline", headers=shop.owner)
    return {
        "status": order["status"],
        "payment_status": order["payment_status"],
        "payments": [(p["status"], p["amount"], p["needs_refund"]) for p in answer["payments"]],
        "refunds": [(r["status"], r["amount"]) for r in answer["refunds"]],
        "transitions": _transitions(timeline.json()),
    }
