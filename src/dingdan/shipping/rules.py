"""Pure tracking rules: statuses, reasons, how a scan changes a parcel, stuck parcels,
polling cadence and what the parcels mean for their order.

Nothing here touches a database, the network or the clock: every function gets the
times it needs as arguments, so the rules are tested without any of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol


class TrackingStatus(StrEnum):
    """dingdan's own parcel status, whatever the carrier calls it."""

    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNING = "returning"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class TrackingReason(StrEnum):
    """Why a parcel is in `exception`, `delivery_failed` or an unusual `in_transit`."""

    ADDRESS_ISSUE = "address_issue"
    RECIPIENT_UNAVAILABLE = "recipient_unavailable"
    BUSINESS_CLOSED = "business_closed"
    REFUSED = "refused"
    CUSTOMER_MOVED = "customer_moved"
    CUSTOMS = "customs"
    DUTIES_UNPAID = "duties_unpaid"
    DELAYED = "delayed"
    WEATHER = "weather"
    DAMAGED = "damaged"
    LOST = "lost"
    DESTROYED = "destroyed"
    HELD_BY_CARRIER = "held_by_carrier"
    PICKUP_NOT_COLLECTED = "pickup_not_collected"
    REROUTED = "rerouted"
    SECURITY = "security"
    INVALID_NUMBER = "invalid_number"
    OTHER = "other"


class FulfilmentStatus(StrEnum):
    """The order-level consequence of its parcels."""

    UNFULFILLED = "unfulfilled"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


class EventOutcome(StrEnum):
    """What apply_event did with a scan. Every scan is kept in history either way."""

    APPLIED = "applied"
    OLDER_THAN_CURRENT = "older_than_current"
    TERMINAL_KEPT = "terminal_kept"


# A parcel that reached one of these stays there: no more polling, no stuck checks.
TERMINAL_STATUSES = frozenset(
    {TrackingStatus.DELIVERED, TrackingStatus.RETURNED, TrackingStatus.CANCELLED, TrackingStatus.EXPIRED}
)
# `expired` is the tracker giving up, not a fact about the parcel: a real final scan
# (delivered, returned, cancelled) still replaces it.
SOFT_TERMINAL_STATUSES = frozenset({TrackingStatus.EXPIRED})

# Total order used only to break ties between scans with the same timestamp.
_TIE_BREAK_RANK = {status: rank for rank, status in enumerate(TrackingStatus)}


def is_terminal(status: TrackingStatus) -> bool:
    return status in TERMINAL_STATUSES


class StatusEvent(Protocol):
    """What apply_event needs from a scan (adapters.base.TrackingEvent satisfies it)."""

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def status(self) -> TrackingStatus: ...

    @property
    def reason(self) -> TrackingReason | None: ...


@dataclass(frozen=True)
class EventDecision:
    """The parcel's status after one scan, and whether the scan set it."""

    status: TrackingStatus
    reason: TrackingReason | None
    last_event_at: datetime | None
    outcome: EventOutcome

    @property
    def applied(self) -> bool:
        return self.outcome is EventOutcome.APPLIED


def _precedence(status: TrackingStatus, at: datetime | None) -> tuple[int, float, int]:
    timestamp = at.timestamp() if at is not None else float("-inf")
    rank = _TIE_BREAK_RANK[status]
    if status in SOFT_TERMINAL_STATUSES:
        return (1, -timestamp, rank)
    if status in TERMINAL_STATUSES:
        return (2, -timestamp, rank)
    return (0, timestamp, rank)


def apply_event(
    current_status: TrackingStatus,
    current_last_event_at: datetime | None,
    event: StatusEvent,
    *,
    current_reason: TrackingReason | None = None,
) -> EventDecision:
    """Decide the parcel's status after `event`.

    `current_last_event_at` is the time of the scan that set `current_status` (the last
    applied scan), or None when the parcel has had none. The rules, in order of weight:

    1. A final scan (delivered, returned, cancelled) beats everything else; between two
       final scans the earlier one wins, because the parcel reached it first.
    2. `expired` beats any non-final scan, but a final scan still replaces it.
    3. Between non-final scans the newer one wins; an older, late or out-of-order scan
       does not change the status.

    The result depends only on the set of scans, never on the order they arrive in:
    applying them in any order ends where applying them sorted by time ends.
    """
    if _precedence(event.status, event.occurred_at) > _precedence(current_status, current_last_event_at):
        return EventDecision(event.status, event.reason, event.occurred_at, EventOutcome.APPLIED)
    outcome = EventOutcome.TERMINAL_KEPT if is_terminal(current_status) else EventOutcome.OLDER_THAN_CURRENT
    return EventDecision(current_status, current_reason, current_last_event_at, outcome)


def event_dedupe_key(carrier: str, tracking_number: str, occurred_at: datetime, raw_code: str | None) -> str:
    """A stable key for one scan, so full-history resends and replays add nothing.

    Times are compared in UTC to the second: providers resend the same scan with other
    offsets or precision.
    """
    moment = occurred_at.astimezone(UTC).replace(microsecond=0).isoformat()
    material = "\x1f".join((carrier, tracking_number.strip().upper(), moment, raw_code or ""))
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class StuckRule:
    """A parcel in `status` (None: any non-final status) with no scan for `after` is stuck.

    `carrier` None applies to every carrier; a carrier's own rule for a status replaces
    the general one. `expire` rules end tracking: the parcel becomes `expired`.
    """

    code: str
    after: timedelta
    status: TrackingStatus | None = None
    carrier: str | None = None
    expire: bool = False


@dataclass(frozen=True)
class StuckFinding:
    rule: StuckRule
    silent_for: timedelta

    @property
    def should_expire(self) -> bool:
        return self.rule.expire


DEFAULT_STUCK_RULES: tuple[StuckRule, ...] = (
    StuckRule("not_picked_up", timedelta(hours=24), TrackingStatus.PENDING),
    StuckRule("not_picked_up", timedelta(hours=24), TrackingStatus.INFO_RECEIVED),
    StuckRule("no_movement", timedelta(hours=72), TrackingStatus.PICKED_UP),
    StuckRule("no_movement", timedelta(hours=72), TrackingStatus.IN_TRANSIT),
    StuckRule("not_delivered", timedelta(hours=24), TrackingStatus.OUT_FOR_DELIVERY),
    StuckRule("not_collected", timedelta(hours=72), TrackingStatus.AVAILABLE_FOR_PICKUP),
    StuckRule("problem_unresolved", timedelta(hours=24), TrackingStatus.DELIVERY_FAILED),
    StuckRule("problem_unresolved", timedelta(hours=24), TrackingStatus.EXCEPTION),
    StuckRule("return_stalled", timedelta(days=7), TrackingStatus.RETURNING),
    # Taiwan's convenience stores keep a parcel for seven days before sending it back.
    StuckRule("not_collected", timedelta(days=7), TrackingStatus.AVAILABLE_FOR_PICKUP, "sim"),
    # Kuaidi100 itself gives up after three days without any record.
    StuckRule("not_picked_up", timedelta(days=3), TrackingStatus.PENDING, "kuaidi100"),
    StuckRule("no_update_30_days", timedelta(days=30), expire=True),
)


def _most_specific(rules: Iterable[StuckRule], carrier: str) -> StuckRule | None:
    candidates = list(rules)
    own = [rule for rule in candidates if rule.carrier == carrier]
    general = [rule for rule in candidates if rule.carrier is None]
    chosen = own or general
    return chosen[0] if chosen else None


def find_stuck_reason(
    status: TrackingStatus,
    last_event_at: datetime,
    now: datetime,
    carrier: str,
    rules: Sequence[StuckRule] = DEFAULT_STUCK_RULES,
) -> StuckFinding | None:
    """The rule a parcel breaks by having had no scan since `last_event_at`, or None.

    Pass the parcel's last scan time, or its ship time while it has none. An expiring
    rule wins over a status rule when both are broken. Final statuses are never stuck.
    """
    if is_terminal(status):
        return None
    silent_for = now - last_event_at
    for_status = _most_specific((r for r in rules if r.status == status), carrier)
    for_any = _most_specific((r for r in rules if r.status is None), carrier)
    for rule in (for_any, for_status):
        if rule is not None and rule.expire and silent_for >= rule.after:
            return StuckFinding(rule, silent_for)
    for rule in (for_status, for_any):
        if rule is not None and silent_for >= rule.after:
            return StuckFinding(rule, silent_for)
    return None


POLLING_INTERVALS: dict[TrackingStatus, timedelta] = {
    TrackingStatus.PENDING: timedelta(hours=6),
    TrackingStatus.INFO_RECEIVED: timedelta(hours=4),
    TrackingStatus.PICKED_UP: timedelta(hours=4),
    TrackingStatus.IN_TRANSIT: timedelta(hours=4),
    TrackingStatus.OUT_FOR_DELIVERY: timedelta(hours=1),
    TrackingStatus.AVAILABLE_FOR_PICKUP: timedelta(hours=6),
    TrackingStatus.DELIVERY_FAILED: timedelta(hours=2),
    TrackingStatus.EXCEPTION: timedelta(hours=2),
    TrackingStatus.RETURNING: timedelta(hours=6),
}


def polling_interval(status: TrackingStatus) -> timedelta | None:
    """How long to wait between two polls of a parcel in `status`; None: stop polling."""
    if is_terminal(status):
        return None
    return POLLING_INTERVALS[status]


def next_poll_at(status: TrackingStatus, last_polled_at: datetime) -> datetime | None:
    interval = polling_interval(status)
    return None if interval is None else last_polled_at + interval


def order_fulfilment_status(
    parcel_statuses: Iterable[TrackingStatus], *, all_items_in_parcels: bool = True
) -> FulfilmentStatus:
    """What an order's parcels mean for the order.

    Cancelled parcels do not count. A parcel that exists and is not cancelled has been
    shipped by the merchant. `all_items_in_parcels` says whether every ordered unit is in
    some live parcel; when it is not, the order is at most partially shipped.
    """
    live = [status for status in parcel_statuses if status is not TrackingStatus.CANCELLED]
    if not live:
        return FulfilmentStatus.UNFULFILLED
    if not all_items_in_parcels:
        return FulfilmentStatus.PARTIALLY_SHIPPED
    if all(status is TrackingStatus.DELIVERED for status in live):
        return FulfilmentStatus.DELIVERED
    return FulfilmentStatus.SHIPPED


def push_receipt_id(provider_event_id: str, body: bytes) -> str:
    """What identifies a carrier push for dedupe: the carrier's event id, else the body's digest
    (a replay resends the same bytes)."""
    if provider_event_id:
        return provider_event_id[:120]
    return "sha256:" + hashlib.sha256(body).hexdigest()
