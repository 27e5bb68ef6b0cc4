"""The built-in simulated carrier, code `sim`: behaves like a real one, needs no network.

Home delivery and convenience-store pickup (超商取貨), scans across Taiwan's sorting
centres over hours or days, a configurable share of incidents, and signed pushes.
Time comes from an injected clock: a FastClock plays a two-day journey in seconds.

Push signature: `X-Dingdan-Sim-Timestamp` (Unix seconds) and
`X-Dingdan-Sim-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
A push older or newer than the replay window is refused, whatever its signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dingdan.shipping.adapters.base import (
    Capability,
    Clock,
    ParsedPush,
    PushReply,
    ShipmentCreated,
    ShipmentRequest,
    TrackingEvent,
    TrackingSource,
    find_header,
)
from dingdan.shipping.adapters.sim_journey import (
    SIM_CODE,
    SIM_STATUS_CODES,
    SimProfile,
    plan_journey,
    promised_delivery,
)
from dingdan.shipping.errors import CarrierRefused, PushMalformed, PushRejected, UnknownShipment
from dingdan.shipping.rules import TrackingStatus

TIMESTAMP_HEADER = "X-Dingdan-Sim-Timestamp"
SIGNATURE_HEADER = "X-Dingdan-Sim-Signature"
SIGNATURE_VERSION = "v1"
REPLAY_WINDOW = timedelta(minutes=5)
_COLLECTED = frozenset({TrackingStatus.PENDING, TrackingStatus.INFO_RECEIVED})


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign_push(raw_body: bytes, secret: str | bytes, timestamp: int) -> str:
    """The signature header value for a body sent at `timestamp` (Unix seconds)."""
    message = str(timestamp).encode() + b"." + raw_body
    digest = hmac.new(_secret_bytes(secret), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signed_push_headers(raw_body: bytes, secret: str | bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign_push(raw_body, secret, timestamp),
    }


def verify_push(
    headers: Mapping[str, str],
    raw_body: bytes,
    secret: str | bytes,
    now: datetime,
    *,
    replay_window: timedelta = REPLAY_WINDOW,
) -> None:
    """Raise PushRejected unless the push is signed with `secret` and sent within the window."""
    timestamp_text = find_header(headers, TIMESTAMP_HEADER)
    signature = find_header(headers, SIGNATURE_HEADER)
    if not timestamp_text or not signature:
        raise PushRejected("signature headers missing")
    try:
        timestamp = int(timestamp_text)
    except ValueError as error:
        raise PushRejected("timestamp is not a number") from error
    if abs(now.timestamp() - timestamp) > replay_window.total_seconds():
        raise PushRejected("timestamp outside the replay window")
    expected = sign_push(raw_body, secret, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise PushRejected("signature does not match")


def encode_push_body(tracking_number: str, events: tuple[TrackingEvent, ...], sent_at: datetime) -> bytes:
    """The JSON the simulated carrier pushes: the parcel's full history so far."""
    payload = {
        "carrier": SIM_CODE,
        "tracking_number": tracking_number,
        "sent_at": sent_at.isoformat(),
        "events": [
            {
                "time": event.occurred_at.isoformat(),
                "code": event.raw_code,
                "description": event.description,
                "location": event.location_text,
                "city": event.city,
                "postal_code": event.postal_code,
            }
            for event in events
        ],
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def _event_from_push(tracking_number: str, item: Mapping[str, str]) -> TrackingEvent:
    meaning = SIM_STATUS_CODES.get(item["code"])
    if meaning is None:
        raise PushMalformed(f"unknown sim scan code {item['code']!r}")
    occurred_at = datetime.fromisoformat(item["time"])
    if occurred_at.tzinfo is None:
        raise PushMalformed("scan time without a time zone")
    return TrackingEvent(
        carrier=SIM_CODE,
        tracking_number=tracking_number,
        occurred_at=occurred_at,
        status=meaning.status,
        reason=meaning.reason,
        source=TrackingSource.PUSH,
        description=item.get("description", ""),
        location_text=item.get("location", ""),
        city=item.get("city", ""),
        postal_code=item.get("postal_code", ""),
        raw_code=item["code"],
    )


def parse_push_body(raw_body: bytes) -> ParsedPush:
    """Read a (verified) sim push into dingdan events."""
    try:
        payload = json.loads(raw_body)
        tracking_number = str(payload["tracking_number"])
        events = tuple(_event_from_push(tracking_number, item) for item in payload["events"])
    except (ValueError, KeyError, TypeError) as error:
        raise PushMalformed(f"unreadable sim push: {error}") from error
    return ParsedPush(carrier=SIM_CODE, tracking_number=tracking_number, events=events)


@dataclass(frozen=True)
class SignedPush:
    headers: dict[str, str]
    body: bytes


class FastClock:
    """A clock that runs `speed` times faster than real time, starting at `start`."""

    def __init__(
        self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._start = start
        self._speed = speed
        self._monotonic = monotonic
        self._started = monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=(self._monotonic() - self._started) * self._speed)


NUMBERS_PER_BLOCK = 10**6


@dataclass(frozen=True)
class _SimParcel:
    created_at: datetime
    journey: tuple[TrackingEvent, ...]


class SimCarrier:
    """The simulated carrier. Journeys live in memory; `restore()` re-plans one after a
    restart from what the caller stored (the plan is a pure function of seed, tracking
    number, request and creation time)."""

    code = SIM_CODE
    display_name = "模擬物流"
    capabilities = frozenset(Capability)

    def __init__(
        self,
        *,
        clock: Clock,
        secret: str | bytes,
        seed: int = 0,
        profile: SimProfile | None = None,
    ) -> None:
        self._clock = clock
        self._secret = secret
        self._seed = seed
        self._profile = profile or SimProfile()
        self._sequence = 0
        self._parcels: dict[str, _SimParcel] = {}
        self._new_number_block()

    def _new_number_block(self) -> None:
        """Tracking numbers are unique across processes and restarts, as a real carrier's are:
        a random block of a million per carrier object, its numbers in a shuffled order."""
        self._block = secrets.randbelow(10**7)
        self._step = secrets.choice([n for n in range(100_003, 100_103) if n % 2 and n % 5])
        self._offset = secrets.randbelow(NUMBERS_PER_BLOCK)

    def _next_tracking_number(self) -> str:
        self._sequence += 1
        if self._sequence == NUMBERS_PER_BLOCK:
            self._sequence = 1
            self._new_number_block()
        index = (self._sequence * self._step + self._offset) % NUMBERS_PER_BLOCK
        return f"SIM{self._block:07d}{index:06d}"

    def restore(self, tracking_number: str, request: ShipmentRequest, created_at: datetime) -> None:
        rng = random.Random(f"{self._seed}:{tracking_number}")
        journey = plan_journey(tracking_number, request, created_at, rng, self._profile)
        self._parcels[tracking_number] = _SimParcel(created_at, journey)

    async def create_shipment(self, request: ShipmentRequest) -> ShipmentCreated:
        tracking_number = self._next_tracking_number()
        while tracking_number in self._parcels:
            tracking_number = self._next_tracking_number()
        created_at = self._clock()
        self.restore(tracking_number, request, created_at)
        return ShipmentCreated(
            carrier=SIM_CODE,
            tracking_number=tracking_number,
            created_at=created_at,
            label_url=f"sim://labels/{tracking_number}",
            estimated_delivery=promised_delivery(created_at, request.service),
        )

    def _parcel(self, tracking_number: str) -> _SimParcel:
        parcel = self._parcels.get(tracking_number)
        if parcel is None:
            raise UnknownShipment(tracking_number)
        return parcel

    def scans_until(self, tracking_number: str, until: datetime) -> tuple[TrackingEvent, ...]:
        """The scans that have happened by `until` (the parcel's history at that time)."""
        return tuple(e for e in self._parcel(tracking_number).journey if e.occurred_at <= until)

    def planned_journey(self, tracking_number: str) -> tuple[TrackingEvent, ...]:
        """Every scan the parcel will ever get, including future ones (for demos and tests)."""
        return self._parcel(tracking_number).journey

    async def cancel_shipment(self, tracking_number: str) -> TrackingEvent:
        now = self._clock()
        parcel = self._parcel(tracking_number)
        history = self.scans_until(tracking_number, now)
        if any(event.status not in _COLLECTED for event in history):
            raise CarrierRefused(f"{tracking_number} was already collected")
        last = history[-1]
        meaning = SIM_STATUS_CODES["S99"]
        cancelled = replace(
            last,
            occurred_at=max(now, last.occurred_at),
            status=meaning.status,
            reason=None,
            description=meaning.description,
            raw_code="S99",
        )
        self._parcels[tracking_number] = replace(parcel, journey=(*history, cancelled))
        return cancelled

    async def fetch_tracking(self, tracking_number: str) -> tuple[TrackingEvent, ...]:
        scans = self.scans_until(tracking_number, self._clock())
        return tuple(replace(event, source=TrackingSource.POLL) for event in scans)

    def build_push(self, tracking_number: str) -> SignedPush:
        """A signed push of the parcel's full history as of now, as the carrier sends it."""
        now = self._clock()
        body = encode_push_body(tracking_number, self.scans_until(tracking_number, now), now)
        return SignedPush(signed_push_headers(body, self._secret, now), body)

    def parse_push(self, headers: Mapping[str, str], raw_body: bytes, now: datetime) -> ParsedPush:
        verify_push(headers, raw_body, self._secret, now)
        return parse_push_body(raw_body)

    def push_reply(self) -> PushReply:
        return PushReply(body=b'{"received":true}')
