"""Planned journeys of the simulated carrier across Taiwan's sorting centres.

A journey is planned in full when the parcel is created, from a seeded random generator,
so the same seed, tracking number and request always give the same scans at the same
offsets. The carrier then reveals the scans as its injected clock passes their times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dingdan.shipping.adapters.base import (
    ServiceType,
    ShipmentRequest,
    TrackingEvent,
    TrackingSource,
)
from dingdan.shipping.rules import TrackingReason, TrackingStatus

TAIPEI = ZoneInfo("Asia/Taipei")
SIM_CODE = "sim"


@dataclass(frozen=True)
class SimCode:
    status: TrackingStatus
    reason: TrackingReason | None
    description: str


# The simulated carrier's raw scan codes and what they mean in dingdan's words.
SIM_STATUS_CODES: dict[str, SimCode] = {
    "S01": SimCode(TrackingStatus.INFO_RECEIVED, None, "託運單已建立，等待收件"),
    "S10": SimCode(TrackingStatus.PICKED_UP, None, "已完成收件"),
    "S20": SimCode(TrackingStatus.IN_TRANSIT, None, "貨件已到達轉運中心"),
    "S21": SimCode(TrackingStatus.IN_TRANSIT, None, "貨件已離開轉運中心"),
    "S22": SimCode(TrackingStatus.IN_TRANSIT, None, "貨件已到達配送營業所"),
    "S30": SimCode(TrackingStatus.OUT_FOR_DELIVERY, None, "配送中"),
    "S31": SimCode(
        TrackingStatus.DELIVERY_FAILED,
        TrackingReason.RECIPIENT_UNAVAILABLE,
        "配送未遇收件人，將再次配送",
    ),
    "S40": SimCode(TrackingStatus.DELIVERED, None, "已送達，收件人簽收"),
    "S50": SimCode(TrackingStatus.IN_TRANSIT, None, "貨件已到達超商物流中心"),
    "S51": SimCode(TrackingStatus.AVAILABLE_FOR_PICKUP, None, "已到達取貨門市，請於七日內取件"),
    "S52": SimCode(TrackingStatus.DELIVERED, None, "收件人已於門市取貨"),
    "S53": SimCode(TrackingStatus.RETURNING, TrackingReason.PICKUP_NOT_COLLECTED, "逾期未取，退回寄件人"),
    "S60": SimCode(TrackingStatus.EXCEPTION, TrackingReason.REFUSED, "收件人拒收"),
    "S61": SimCode(TrackingStatus.RETURNING, None, "貨件退回寄件人中"),
    "S62": SimCode(TrackingStatus.RETURNED, None, "已退回寄件人"),
    "S80": SimCode(TrackingStatus.EXCEPTION, TrackingReason.DELAYED, "轉運量大，配送延遲"),
    "S81": SimCode(TrackingStatus.EXCEPTION, TrackingReason.DAMAGED, "貨件破損，處理中"),
    "S82": SimCode(TrackingStatus.EXCEPTION, TrackingReason.LOST, "貨件遺失，查詢中"),
    "S99": SimCode(TrackingStatus.CANCELLED, None, "託運單已取消"),
}


@dataclass(frozen=True)
class Place:
    name: str
    city: str
    postal_code: str = ""


SORTING_CENTRES = {
    "north": Place("台北轉運中心", "台北市", "114"),
    "taoyuan": Place("桃園轉運中心", "桃園市", "333"),
    "central": Place("台中轉運中心", "台中市", "407"),
    "south": Place("高雄轉運中心", "高雄市", "806"),
}
_CENTRE_BY_CITY = {
    **dict.fromkeys(("台北市", "新北市", "基隆市", "宜蘭縣", "花蓮縣", "連江縣"), "north"),
    **dict.fromkeys(("桃園市", "新竹市", "新竹縣"), "taoyuan"),
    **dict.fromkeys(("苗栗縣", "台中市", "彰化縣", "南投縣", "雲林縣"), "central"),
    **dict.fromkeys(
        ("嘉義市", "嘉義縣", "台南市", "高雄市", "屏東縣", "台東縣", "澎湖縣", "金門縣"), "south"
    ),
}
STORE_LOGISTICS_CENTRE = Place("超商物流中心", "桃園市", "333")


def sorting_centre_for(city: str) -> Place:
    """The sorting centre serving a city (臺 and 台 are the same); central by default."""
    normalized = city.strip().replace("臺", "台")
    return SORTING_CENTRES[_CENTRE_BY_CITY.get(normalized, "central")]


@dataclass(frozen=True)
class SimProfile:
    """Share (0..1) of parcels that meet each incident. All zero: every parcel arrives."""

    failed_attempt_share: float = 0.1
    delay_share: float = 0.1
    refusal_share: float = 0.02
    not_collected_share: float = 0.05
    damage_share: float = 0.01
    loss_share: float = 0.01


NO_INCIDENTS = SimProfile(0, 0, 0, 0, 0, 0)


class _JourneyBuilder:
    def __init__(self, tracking_number: str, start: datetime, rng: random.Random) -> None:
        self.tracking_number = tracking_number
        self.now = start
        self.rng = rng
        self.events: list[TrackingEvent] = []

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def wait(self, delay: timedelta) -> None:
        self.now += delay

    def next_delivery_round(self) -> None:
        """Couriers leave at 8-10 a.m.; a parcel at the station by 10 a.m. goes out today."""
        local = self.now.astimezone(TAIPEI)
        if time(7) <= local.time() < time(10):
            self.wait(self.hours(0.5, 1.5))
            return
        day = local.date() if local.time() < time(7) else local.date() + timedelta(days=1)
        self.now = datetime.combine(day, time(8), TAIPEI) + self.hours(0, 2)

    def scan(self, code: str, delay: timedelta, place: Place) -> None:
        self.wait(delay)
        meaning = SIM_STATUS_CODES[code]
        self.events.append(
            TrackingEvent(
                carrier=SIM_CODE,
                tracking_number=self.tracking_number,
                occurred_at=self.now,
                status=meaning.status,
                reason=meaning.reason,
                source=TrackingSource.PUSH,
                description=f"{meaning.description}（{place.name}）",
                location_text=place.name,
                city=place.city,
                postal_code=place.postal_code,
                raw_code=code,
            )
        )

    def roll(self, share: float) -> bool:
        return self.rng.random() < share


def plan_journey(
    tracking_number: str,
    request: ShipmentRequest,
    created_at: datetime,
    rng: random.Random,
    profile: SimProfile,
) -> tuple[TrackingEvent, ...]:
    """Every scan the parcel will get, with the times it will get them."""
    journey = _JourneyBuilder(tracking_number, created_at, rng)
    sender_office = Place(f"{request.sender.city}收件營業所", request.sender.city)
    journey.scan("S01", timedelta(0), sender_office)
    journey.scan("S10", journey.hours(1, 5), sender_office)
    if not _line_haul(journey, request, profile):
        return tuple(journey.events)
    if request.service is ServiceType.STORE_PICKUP:
        _store_pickup(journey, request, profile)
    else:
        _home_delivery(journey, request, profile)
    return tuple(journey.events)


def _line_haul(journey: _JourneyBuilder, request: ShipmentRequest, profile: SimProfile) -> bool:
    """Sender -> sorting centres -> destination; False when the parcel never gets further."""
    origin = sorting_centre_for(request.sender.city)
    destination = sorting_centre_for(request.recipient.city)
    journey.scan("S20", journey.hours(1, 3), origin)
    if journey.roll(profile.delay_share):
        journey.scan("S80", journey.hours(1, 4), origin)
        journey.wait(journey.hours(18, 36))
    journey.scan("S21", journey.hours(1, 4), origin)
    if destination != origin:
        journey.scan("S20", journey.hours(2, 5), destination)
        journey.scan("S21", journey.hours(1, 3), destination)
    if journey.roll(profile.loss_share):
        journey.scan("S82", journey.hours(6, 24), destination)
        return False
    if journey.roll(profile.damage_share):
        journey.scan("S81", journey.hours(1, 6), destination)
        _return_to_sender(journey, request, destination)
        return False
    return True


def _home_delivery(journey: _JourneyBuilder, request: ShipmentRequest, profile: SimProfile) -> None:
    recipient = request.recipient
    station = Place(f"{recipient.city}{recipient.district}營業所", recipient.city, recipient.postal_code)
    journey.scan("S22", journey.hours(2, 5), station)
    for _attempt in range(2):
        journey.next_delivery_round()
        journey.scan("S30", timedelta(0), station)
        if not journey.roll(profile.failed_attempt_share):
            break
        journey.scan("S31", journey.hours(1, 6), station)
    else:
        _return_to_sender(journey, request, station)
        return
    if journey.roll(profile.refusal_share):
        journey.scan("S60", journey.hours(1, 6), station)
        _return_to_sender(journey, request, station)
        return
    journey.scan("S40", journey.hours(1, 6), station)


def _store_pickup(journey: _JourneyBuilder, request: ShipmentRequest, profile: SimProfile) -> None:
    store = Place(
        request.pickup_store_name or "取貨門市", request.recipient.city, request.recipient.postal_code
    )
    journey.scan("S50", journey.hours(3, 8), STORE_LOGISTICS_CENTRE)
    journey.next_delivery_round()
    journey.scan("S51", journey.hours(1, 4), store)
    if journey.roll(profile.not_collected_share):
        journey.scan("S53", timedelta(days=7), store)
        journey.scan("S62", journey.hours(36, 72), Place("寄件人", request.sender.city))
        return
    journey.scan("S52", journey.hours(2, 96), store)


def _return_to_sender(journey: _JourneyBuilder, request: ShipmentRequest, at: Place) -> None:
    journey.scan("S61", journey.hours(2, 12), at)
    journey.scan("S62", journey.hours(24, 72), Place("寄件人", request.sender.city))


def promised_delivery(created_at: datetime, service: ServiceType) -> datetime:
    """The first promise shown to the customer: next day (store pickup: two days) by 18:00,
    a day later when the parcel is created after 15:00 Taipei time."""
    local = created_at.astimezone(TAIPEI)
    days = 1 if service is ServiceType.HOME_DELIVERY else 2
    if local.time() >= time(15):
        days += 1
    return datetime.combine(local.date() + timedelta(days=days), time(18), TAIPEI)
