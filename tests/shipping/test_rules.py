from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingdan.shipping.rules import (
    TERMINAL_STATUSES,
    EventOutcome,
    FulfilmentStatus,
    StuckRule,
    TrackingReason,
    TrackingStatus,
    apply_event,
    event_dedupe_key,
    find_stuck_reason,
    next_poll_at,
    order_fulfilment_status,
    polling_interval,
)

S = TrackingStatus
T0 = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Scan:
    occurred_at: datetime
    status: TrackingStatus
    reason: TrackingReason | None = None


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def fold(scans, status=S.PENDING, last=None):
    history = []
    for scan in scans:
        decision = apply_event(status, last, scan)
        status, last = decision.status, decision.last_event_at
        history.append(status)
    return status, last, history


def test_newer_scan_moves_the_parcel_forward():
    decision = apply_event(S.IN_TRANSIT, at(1), Scan(at(2), S.OUT_FOR_DELIVERY))
    assert decision.applied
    assert (decision.status, decision.last_event_at) == (S.OUT_FOR_DELIVERY, at(2))


def test_late_scan_is_kept_out_of_the_current_status():
    decision = apply_event(S.OUT_FOR_DELIVERY, at(5), Scan(at(2), S.IN_TRANSIT))
    assert decision.outcome is EventOutcome.OLDER_THAN_CURRENT
    assert (decision.status, decision.last_event_at) == (S.OUT_FOR_DELIVERY, at(5))


def test_scan_after_delivery_does_not_reopen_the_parcel():
    decision = apply_event(S.DELIVERED, at(5), Scan(at(9), S.EXCEPTION, TrackingReason.DAMAGED))
    assert decision.outcome is EventOutcome.TERMINAL_KEPT
    assert decision.status is S.DELIVERED


def test_late_delivery_scan_still_counts_when_a_newer_problem_scan_came_first():
    decision = apply_event(S.EXCEPTION, at(9), Scan(at(5), S.DELIVERED))
    assert decision.applied and decision.status is S.DELIVERED


def test_real_final_scan_replaces_the_trackers_give_up():
    assert apply_event(S.EXPIRED, at(700), Scan(at(800), S.DELIVERED)).status is S.DELIVERED
    assert apply_event(S.EXPIRED, at(700), Scan(at(800), S.IN_TRANSIT)).status is S.EXPIRED


def test_exception_reason_follows_the_scan_and_survives_ignored_ones():
    decision = apply_event(S.IN_TRANSIT, at(1), Scan(at(2), S.EXCEPTION, TrackingReason.LOST))
    assert decision.reason is TrackingReason.LOST
    kept = apply_event(S.EXCEPTION, at(2), Scan(at(1), S.IN_TRANSIT), current_reason=TrackingReason.LOST)
    assert kept.reason is TrackingReason.LOST


times = st.integers(min_value=0, max_value=24 * 40).map(at)
scans = st.builds(Scan, occurred_at=times, status=st.sampled_from(list(TrackingStatus)))


@given(st.lists(scans, min_size=1, max_size=12), st.randoms())
def test_any_arrival_order_ends_where_time_order_ends(events, rnd):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    in_time_order = sorted(events, key=lambda scan: scan.occurred_at)
    assert fold(shuffled)[:2] == fold(in_time_order)[:2]


@given(st.lists(scans, min_size=1, max_size=12))
def test_a_parcel_never_leaves_a_final_status(events):
    _, _, history = fold(events)
    for earlier, later in itertools.pairwise(history):
        if earlier in TERMINAL_STATUSES:
            assert later in TERMINAL_STATUSES


@given(st.lists(scans, min_size=1, max_size=12))
def test_without_final_scans_the_newest_scan_decides(events):
    live = [scan for scan in events if scan.status not in TERMINAL_STATUSES]
    if not live:
        return
    status, last, _ = fold(live)
    assert last == max(scan.occurred_at for scan in live)
    assert status in {scan.status for scan in live if scan.occurred_at == last}


def test_dedupe_key_ignores_offset_and_sub_second_precision():
    taipei = timezone(timedelta(hours=8))
    one = event_dedupe_key("sim", "sim123", datetime(2024, 6, 3, 10, 0, 0, tzinfo=taipei), "S20")
    same = event_dedupe_key("sim", "SIM123 ", datetime(2024, 6, 3, 2, 0, 0, 400, tzinfo=UTC), "S20")
    other_code = event_dedupe_key("sim", "SIM123", datetime(2024, 6, 3, 2, 0, tzinfo=UTC), "S21")
    assert one == same
    assert one != other_code


@pytest.mark.parametrize(
    ("status", "silent_hours", "expected"),
    [
        (S.INFO_RECEIVED, 23, None),
        (S.INFO_RECEIVED, 25, "not_picked_up"),
        (S.IN_TRANSIT, 71, None),
        (S.IN_TRANSIT, 73, "no_movement"),
        (S.OUT_FOR_DELIVERY, 25, "not_delivered"),
        (S.EXCEPTION, 25, "problem_unresolved"),
        (S.AVAILABLE_FOR_PICKUP, 73, "not_collected"),
        (S.RETURNING, 24 * 31, "no_update_30_days"),
        (S.DELIVERED, 24 * 365, None),
    ],
)
def test_stuck_rules_by_state(status, silent_hours, expected):
    finding = find_stuck_reason(status, T0, at(silent_hours), "blackcat")
    assert (finding.rule.code if finding else None) == expected


def test_thirty_days_without_a_scan_expires_the_parcel():
    finding = find_stuck_reason(S.IN_TRANSIT, T0, at(24 * 30), "blackcat")
    assert finding is not None and finding.should_expire


def test_carrier_rule_replaces_the_general_one():
    # Convenience stores keep parcels a week: 3 days is not yet stuck for `sim`.
    assert find_stuck_reason(S.AVAILABLE_FOR_PICKUP, T0, at(73), "sim") is None
    late = find_stuck_reason(S.AVAILABLE_FOR_PICKUP, T0, at(24 * 7), "sim")
    assert late is not None and late.rule.carrier == "sim"


def test_custom_rule_table():
    rules = (StuckRule("slow_lane", timedelta(hours=1), S.IN_TRANSIT),)
    assert find_stuck_reason(S.IN_TRANSIT, T0, at(2), "x", rules).rule.code == "slow_lane"


def test_polling_slows_down_by_state_and_stops_at_the_end():
    assert polling_interval(S.OUT_FOR_DELIVERY) < polling_interval(S.IN_TRANSIT)
    assert next_poll_at(S.IN_TRANSIT, T0) == at(4)
    for status in TERMINAL_STATUSES:
        assert polling_interval(status) is None
        assert next_poll_at(status, T0) is None
    for status in set(TrackingStatus) - TERMINAL_STATUSES:
        assert polling_interval(status) is not None


@pytest.mark.parametrize(
    ("parcels", "all_in", "expected"),
    [
        ([], True, FulfilmentStatus.UNFULFILLED),
        ([S.CANCELLED], True, FulfilmentStatus.UNFULFILLED),
        ([S.INFO_RECEIVED], False, FulfilmentStatus.PARTIALLY_SHIPPED),
        ([S.DELIVERED], False, FulfilmentStatus.PARTIALLY_SHIPPED),
        ([S.IN_TRANSIT, S.DELIVERED], True, FulfilmentStatus.SHIPPED),
        ([S.DELIVERED, S.DELIVERED, S.CANCELLED], True, FulfilmentStatus.DELIVERED),
        ([S.RETURNED], True, FulfilmentStatus.SHIPPED),
    ],
)
def test_order_follows_its_parcels(parcels, all_in, expected):
    assert order_fulfilment_status(parcels, all_items_in_parcels=all_in) is expected
