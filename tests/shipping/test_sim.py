from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from dingdan.shipping.adapters.base import (
    Capability,
    Carrier,
    CarrierRegistry,
    ServiceType,
    TrackingSource,
)
from dingdan.shipping.adapters.sim import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    FastClock,
    SimCarrier,
    verify_push,
)
from dingdan.shipping.adapters.sim_journey import (
    NO_INCIDENTS,
    SIM_STATUS_CODES,
    SimProfile,
    sorting_centre_for,
)
from dingdan.shipping.errors import CarrierRefused, PushRejected, UnknownCarrier
from dingdan.shipping.rules import TrackingReason, TrackingStatus, apply_event

S = TrackingStatus
SECRET = "sim-test-secret"


def carrier(clock, profile=NO_INCIDENTS, seed=7):
    return SimCarrier(clock=clock, secret=SECRET, seed=seed, profile=profile)


def statuses(events):
    return [event.status for event in events]


async def test_home_delivery_crosses_taiwan_and_arrives(clock, shipment_request):
    sim = carrier(clock)
    created = await sim.create_shipment(shipment_request(recipient_city="高雄市"))
    journey = sim.planned_journey(created.tracking_number)
    assert statuses(journey) == [
        S.INFO_RECEIVED,
        S.PICKED_UP,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
    ]
    places = [event.location_text for event in journey]
    assert "台北轉運中心" in places and "高雄轉運中心" in places
    assert all(a.occurred_at < b.occurred_at for a, b in itertools.pairwise(journey))
    door_to_door = journey[-1].occurred_at - journey[0].occurred_at
    assert timedelta(hours=12) < door_to_door < timedelta(days=3)


async def test_store_pickup_waits_at_the_store(clock, shipment_request):
    sim = carrier(clock)
    created = await sim.create_shipment(shipment_request(ServiceType.STORE_PICKUP))
    journey = sim.planned_journey(created.tracking_number)
    assert S.AVAILABLE_FOR_PICKUP in statuses(journey)
    assert journey[-1].status is S.DELIVERED and journey[-1].location_text == "前金門市"


async def test_same_seed_same_journey_other_seed_other_journey(clock, shipment_request):
    request = shipment_request()
    first = carrier(clock, SimProfile(), seed=3)
    again = carrier(clock, SimProfile(), seed=3)
    other = carrier(clock, SimProfile(), seed=4)
    created = await first.create_shipment(request)
    number = created.tracking_number
    for restarted in (again, other):
        restarted.restore(number, request, created.created_at)
    assert first.planned_journey(number) == again.planned_journey(number) != other.planned_journey(number)


async def test_two_processes_or_a_restart_never_hand_out_the_same_tracking_number(clock, shipment_request):
    """Each API process has its own carrier object, and a restart makes a new one: their
    numbers must not meet, or the second parcel is refused as a duplicate."""
    request = shipment_request()
    numbers: list[str] = []
    for _restart in range(3):
        sim = carrier(clock, SimProfile(), seed=0)
        numbers += [(await sim.create_shipment(request)).tracking_number for _ in range(1000)]
    assert len(set(numbers)) == len(numbers) == 3000
    assert all(n.startswith("SIM") and len(n) == 16 and n[3:].isdigit() for n in numbers)


async def test_fast_clock_plays_a_journey_in_seconds(clock, shipment_request):
    fake_seconds = [0.0]
    fast = FastClock(clock(), speed=3600 * 24, monotonic=lambda: fake_seconds[0])
    sim = carrier(fast)
    created = await sim.create_shipment(shipment_request())
    assert statuses(await sim.fetch_tracking(created.tracking_number)) == [S.INFO_RECEIVED]
    fake_seconds[0] = 3.0  # three real seconds are three days here
    events = await sim.fetch_tracking(created.tracking_number)
    assert events[-1].status is S.DELIVERED
    assert {event.source for event in events} == {TrackingSource.POLL}


def only(**share: float) -> SimProfile:
    """A profile with one incident and no other: the defaults would lose or damage a parcel
    now and then before the incident under test."""
    return replace(NO_INCIDENTS, **share)


@pytest.mark.parametrize(
    ("profile", "service", "expected_reason", "final"),
    [
        (
            only(failed_attempt_share=1),
            ServiceType.HOME_DELIVERY,
            TrackingReason.RECIPIENT_UNAVAILABLE,
            S.RETURNED,
        ),
        (only(refusal_share=1), ServiceType.HOME_DELIVERY, TrackingReason.REFUSED, S.RETURNED),
        (
            only(not_collected_share=1),
            ServiceType.STORE_PICKUP,
            TrackingReason.PICKUP_NOT_COLLECTED,
            S.RETURNED,
        ),
        (
            only(damage_share=1),
            ServiceType.HOME_DELIVERY,
            TrackingReason.DAMAGED,
            S.RETURNED,
        ),
        (
            only(loss_share=1),
            ServiceType.HOME_DELIVERY,
            TrackingReason.LOST,
            S.EXCEPTION,
        ),
        (only(delay_share=1), ServiceType.HOME_DELIVERY, TrackingReason.DELAYED, S.DELIVERED),
    ],
)
async def test_incidents_happen_at_the_configured_share(
    clock, shipment_request, profile, service, expected_reason, final
):
    sim = carrier(clock, profile)
    created = await sim.create_shipment(shipment_request(service))
    journey = sim.planned_journey(created.tracking_number)
    assert expected_reason in {event.reason for event in journey}
    assert journey[-1].status is final


async def test_every_raw_code_has_a_meaning(clock, shipment_request):
    sim = carrier(clock, SimProfile(0.5, 0.5, 0.3, 0.5, 0.2, 0.2))
    for _ in range(30):
        created = await sim.create_shipment(shipment_request())
        for event in sim.planned_journey(created.tracking_number):
            assert SIM_STATUS_CODES[event.raw_code].status is event.status


async def test_signed_push_of_full_history_is_accepted_and_replays_add_nothing(clock, shipment_request):
    sim = carrier(clock)
    created = await sim.create_shipment(shipment_request())
    clock.advance(timedelta(hours=8))
    push = sim.build_push(created.tracking_number)
    parsed = sim.parse_push(push.headers, push.body, clock())
    assert parsed.tracking_number == created.tracking_number
    assert [e.dedupe_key for e in parsed.events] == [
        e.dedupe_key for e in sim.scans_until(created.tracking_number, clock())
    ]
    clock.advance(timedelta(hours=30))
    later = sim.build_push(created.tracking_number)
    later_parsed = sim.parse_push(later.headers, later.body, clock())
    known = {event.dedupe_key for event in parsed.events}
    new = [event for event in later_parsed.events if event.dedupe_key not in known]
    assert len(new) == len(later_parsed.events) - len(parsed.events) > 0


async def test_push_verification_refuses_forgeries_and_stale_replays(clock, shipment_request):
    sim = carrier(clock)
    created = await sim.create_shipment(shipment_request())
    push = sim.build_push(created.tracking_number)
    verify_push(push.headers, push.body, SECRET, clock())
    lowercase = {key.lower(): value for key, value in push.headers.items()}
    verify_push(lowercase, push.body, SECRET, clock())
    with pytest.raises(PushRejected):
        verify_push(push.headers, push.body.replace(b"SIM", b"XIM"), SECRET, clock())
    with pytest.raises(PushRejected):
        verify_push(push.headers, push.body, "other-secret", clock())
    with pytest.raises(PushRejected):
        verify_push(push.headers, push.body, SECRET, clock() + timedelta(minutes=6))
    with pytest.raises(PushRejected):
        verify_push({TIMESTAMP_HEADER: push.headers[TIMESTAMP_HEADER]}, push.body, SECRET, clock())
    forged_time = {**push.headers, TIMESTAMP_HEADER: str(int(clock().timestamp()) + 60)}
    with pytest.raises(PushRejected):
        verify_push(forged_time, push.body, SECRET, clock())
    assert push.headers[SIGNATURE_HEADER].startswith("v1=")


async def test_cancel_before_pickup_only(clock, shipment_request):
    sim = carrier(clock)
    early = await sim.create_shipment(shipment_request())
    cancelled = await sim.cancel_shipment(early.tracking_number)
    assert cancelled.status is S.CANCELLED
    clock.advance(timedelta(days=5))
    assert (await sim.fetch_tracking(early.tracking_number))[-1].status is S.CANCELLED

    late = await sim.create_shipment(shipment_request())
    clock.advance(timedelta(hours=8))
    with pytest.raises(CarrierRefused):
        await sim.cancel_shipment(late.tracking_number)


async def test_applying_the_sim_journey_ends_at_its_last_scan(clock, shipment_request):
    sim = carrier(clock, SimProfile(failed_attempt_share=0.5, delay_share=1))
    created = await sim.create_shipment(shipment_request())
    status, last = S.PENDING, None
    for event in reversed(sim.planned_journey(created.tracking_number)):
        decision = apply_event(status, last, event)
        status, last = decision.status, decision.last_event_at
    assert status is sim.planned_journey(created.tracking_number)[-1].status


def test_sorting_centre_by_city():
    assert sorting_centre_for("臺北市").name == "台北轉運中心"
    assert sorting_centre_for("桃園市").name == "桃園轉運中心"
    assert sorting_centre_for("臺中市").name == "台中轉運中心"
    assert sorting_centre_for("屏東縣").name == "高雄轉運中心"


def test_registry_finds_carriers_by_code_and_capability(clock):
    sim = carrier(clock)
    registry = CarrierRegistry([sim])
    assert isinstance(sim, Carrier)
    assert registry.get("sim") is sim
    assert registry.find("nope") is None
    assert registry.list_supporting(Capability.CREATE_SHIPMENT) == [sim]
    with pytest.raises(UnknownCarrier):
        registry.get("nope")
    with pytest.raises(ValueError):
        registry.register(sim)
