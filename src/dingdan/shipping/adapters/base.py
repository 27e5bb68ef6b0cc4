"""What every carrier adapter offers, the shapes it speaks in, and the registry of carriers.

An adapter keeps its pure parts (build a request, parse a response, verify and parse a
push) as plain functions in its module, and does I/O only through an injected Transport,
so every parser is tested on the provider's documented samples without a network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import httpx

from dingdan.platform import outbound
from dingdan.shipping.errors import CapabilityNotSupported, UnknownCarrier
from dingdan.shipping.rules import TrackingReason, TrackingStatus, event_dedupe_key

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Injected so tests and demos can run it fast."""


class Capability(StrEnum):
    CREATE_SHIPMENT = "create_shipment"
    CANCEL_SHIPMENT = "cancel_shipment"
    FETCH_TRACKING = "fetch_tracking"
    PARSE_PUSH = "parse_push"


class TrackingSource(StrEnum):
    PUSH = "push"
    POLL = "poll"
    MANUAL = "manual"


class ServiceType(StrEnum):
    HOME_DELIVERY = "home_delivery"
    STORE_PICKUP = "store_pickup"  # 超商取貨


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    city: str
    street: str
    district: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class ParcelItem:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class ShipmentRequest:
    """One parcel to hand to a carrier. `reference` is the merchant's order number."""

    reference: str
    service: ServiceType
    recipient: Address
    sender: Address
    items: tuple[ParcelItem, ...] = ()
    weight_grams: int | None = None
    pickup_store_id: str | None = None
    pickup_store_name: str | None = None
    cash_on_delivery: Decimal | None = None
    remarks: str = ""


@dataclass(frozen=True)
class ShipmentCreated:
    carrier: str
    tracking_number: str
    created_at: datetime
    label_pdf: bytes | None = None
    label_url: str | None = None
    estimated_delivery: datetime | None = None


@dataclass(frozen=True)
class TrackingEvent:
    """One scan, in dingdan's words, with the carrier's raw code kept beside them."""

    carrier: str
    tracking_number: str
    occurred_at: datetime
    status: TrackingStatus
    source: TrackingSource
    reason: TrackingReason | None = None
    description: str = ""
    location_text: str = ""
    city: str = ""
    postal_code: str = ""
    raw_code: str = ""

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("TrackingEvent.occurred_at must be timezone-aware")

    @property
    def dedupe_key(self) -> str:
        return event_dedupe_key(self.carrier, self.tracking_number, self.occurred_at, self.raw_code)

    def to_payload(self) -> dict[str, str | None]:
        return {
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "occurred_at": self.occurred_at.isoformat(),
            "status": self.status.value,
            "source": self.source.value,
            "reason": self.reason.value if self.reason else None,
            "description": self.description,
            "location_text": self.location_text,
            "city": self.city,
            "postal_code": self.postal_code,
            "raw_code": self.raw_code,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> TrackingEvent:
        reason = payload.get("reason")
        return cls(
            **{key: payload[key] for key in _TEXT_FIELDS},
            occurred_at=datetime.fromisoformat(payload["occurred_at"]),
            status=TrackingStatus(payload["status"]),
            source=TrackingSource(payload["source"]),
            reason=TrackingReason(reason) if reason else None,
        )


_TEXT_FIELDS = (
    "carrier",
    "tracking_number",
    "description",
    "location_text",
    "city",
    "postal_code",
    "raw_code",
)


@dataclass(frozen=True)
class ParsedPush:
    """A verified push: the events it carries and what to answer the sender.

    `provider_gave_up` is True when the provider says it stopped tracking the parcel
    without a final scan (the caller may mark it `expired`).
    """

    carrier: str
    tracking_number: str
    events: tuple[TrackingEvent, ...]
    courier_code: str = ""
    provider_event_id: str = ""
    estimated_delivery: datetime | None = None
    provider_gave_up: bool = False
    provider_message: str = ""

    def to_payload(self) -> dict[str, Any]:
        """As JSON, for the outbox event that carries the verified push to its processing."""
        return {
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "events": [event.to_payload() for event in self.events],
            "courier_code": self.courier_code,
            "provider_event_id": self.provider_event_id,
            "estimated_delivery": self.estimated_delivery.isoformat() if self.estimated_delivery else None,
            "provider_gave_up": self.provider_gave_up,
            "provider_message": self.provider_message,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ParsedPush:
        estimated = payload.get("estimated_delivery")
        return cls(
            carrier=payload["carrier"],
            tracking_number=payload["tracking_number"],
            events=tuple(TrackingEvent.from_payload(event) for event in payload["events"]),
            courier_code=payload["courier_code"],
            provider_event_id=payload["provider_event_id"],
            estimated_delivery=datetime.fromisoformat(estimated) if estimated else None,
            provider_gave_up=payload["provider_gave_up"],
            provider_message=payload["provider_message"],
        )


@dataclass(frozen=True)
class PushReply:
    """The HTTP answer a push receiver sends back after accepting a push."""

    status_code: int = 200
    content_type: str = "application/json"
    body: bytes = b"{}"


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class InboundResponse:
    status_code: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """Sends one HTTP request. The only place an adapter touches the network."""

    def __call__(self, request: OutboundRequest) -> Awaitable[InboundResponse]: ...


class HttpxTransport:
    """Transport over an httpx.AsyncClient that the caller owns and closes. Every request goes
    through the outbound guard: public addresses only, resolved and pinned per request, no redirects."""

    def __init__(self, client: httpx.AsyncClient, policy: outbound.OutboundPolicy | None = None) -> None:
        self._client = client
        self._policy = policy or outbound.OutboundPolicy()

    async def __call__(self, request: OutboundRequest) -> InboundResponse:
        response = await outbound.send(
            self._client,
            request.method,
            request.url,
            policy=self._policy,
            headers=request.headers,
            content=request.body,
            field="carrier_url",
        )
        return InboundResponse(response.status_code, dict(response.headers), response.content)


@runtime_checkable
class Carrier(Protocol):
    """A carrier or tracking aggregator. Methods outside `capabilities` raise
    CapabilityNotSupported; check `supports()` before offering an action."""

    code: str
    display_name: str
    capabilities: frozenset[Capability]

    async def create_shipment(self, request: ShipmentRequest) -> ShipmentCreated: ...

    async def cancel_shipment(self, tracking_number: str) -> TrackingEvent: ...

    async def fetch_tracking(self, tracking_number: str) -> tuple[TrackingEvent, ...]: ...

    def parse_push(self, headers: Mapping[str, str], raw_body: bytes, now: datetime) -> ParsedPush: ...

    def push_reply(self) -> PushReply: ...


def supports(carrier: Carrier, capability: Capability) -> bool:
    return capability in carrier.capabilities


def require_capability(carrier: Carrier, capability: Capability) -> None:
    if not supports(carrier, capability):
        raise CapabilityNotSupported(carrier.code, capability.value)


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup that ignores case, as HTTP does."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class CarrierRegistry:
    """Carrier code -> adapter. Built once at start-up by whoever wires the app."""

    def __init__(self, carriers: Iterable[Carrier] = ()) -> None:
        self._carriers: dict[str, Carrier] = {}
        for carrier in carriers:
            self.register(carrier)

    def register(self, carrier: Carrier) -> None:
        if carrier.code in self._carriers:
            raise ValueError(f"carrier {carrier.code!r} registered twice")
        self._carriers[carrier.code] = carrier

    def find(self, code: str) -> Carrier | None:
        return self._carriers.get(code)

    def get(self, code: str) -> Carrier:
        carrier = self.find(code)
        if carrier is None:
            raise UnknownCarrier(code)
        return carrier

    def list_codes(self) -> list[str]:
        return sorted(self._carriers)

    def list_supporting(self, capability: Capability) -> list[Carrier]:
        return [c for _, c in sorted(self._carriers.items()) if supports(c, capability)]


class PushOnlyCarrier:
    """Base for tracking aggregators that only push: every other capability refuses."""

    code = ""
    display_name = ""
    capabilities: frozenset[Capability] = frozenset({Capability.PARSE_PUSH})

    async def create_shipment(self, request: ShipmentRequest) -> ShipmentCreated:
        raise CapabilityNotSupported(self.code, Capability.CREATE_SHIPMENT.value)

    async def cancel_shipment(self, tracking_number: str) -> TrackingEvent:
        raise CapabilityNotSupported(self.code, Capability.CANCEL_SHIPMENT.value)

    async def fetch_tracking(self, tracking_number: str) -> tuple[TrackingEvent, ...]:
        raise CapabilityNotSupported(self.code, Capability.FETCH_TRACKING.value)

    def push_reply(self) -> PushReply:
        return PushReply()
