"""AfterShip Tracking webhooks, as AfterShip documents them.

Body: JSON `{event, event_id, is_tracking_first_tag, ts, msg}` where `msg` is the tracking
object (`tracking_number`, `slug`, `tag`, `subtag`, `expected_delivery`, `checkpoints[]`).
Signature: header `aftership-hmac-sha256` = base64(HMAC-SHA256(webhook secret, raw body)).
Each push carries the parcel's whole checkpoint history; dedupe keys keep it from
adding anything already stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dingdan.shipping.adapters.base import (
    ParsedPush,
    PushOnlyCarrier,
    TrackingEvent,
    TrackingSource,
    find_header,
)
from dingdan.shipping.errors import PushMalformed, PushRejected
from dingdan.shipping.rules import TrackingReason, TrackingStatus

AFTERSHIP_CODE = "aftership"
SIGNATURE_HEADER = "aftership-hmac-sha256"
TAIPEI = ZoneInfo("Asia/Taipei")

S = TrackingStatus
R = TrackingReason

TAG_STATUS: dict[str, TrackingStatus] = {
    "Pending": S.PENDING,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit": S.IN_TRANSIT,
    "OutForDelivery": S.OUT_FOR_DELIVERY,
    "AvailableForPickup": S.AVAILABLE_FOR_PICKUP,
    "AttemptFail": S.DELIVERY_FAILED,
    "Delivered": S.DELIVERED,
    "Exception": S.EXCEPTION,
    "Expired": S.EXPIRED,
}

# Sub-statuses whose meaning differs from their tag's plain mapping.
SUBTAG_MEANING: dict[str, tuple[TrackingStatus, TrackingReason | None]] = {
    "InTransit_002": (S.PICKED_UP, None),
    "InTransit_006": (S.IN_TRANSIT, R.CUSTOMS),
    "InTransit_009": (S.IN_TRANSIT, R.REROUTED),
    "AttemptFail_001": (S.DELIVERY_FAILED, R.OTHER),
    "AttemptFail_002": (S.DELIVERY_FAILED, R.RECIPIENT_UNAVAILABLE),
    "AttemptFail_003": (S.DELIVERY_FAILED, R.BUSINESS_CLOSED),
    "Exception_001": (S.EXCEPTION, R.OTHER),
    "Exception_002": (S.EXCEPTION, R.CUSTOMER_MOVED),
    "Exception_003": (S.EXCEPTION, R.REFUSED),
    "Exception_004": (S.EXCEPTION, R.CUSTOMS),
    "Exception_005": (S.EXCEPTION, R.DELAYED),
    "Exception_006": (S.EXCEPTION, R.DUTIES_UNPAID),
    "Exception_007": (S.EXCEPTION, R.ADDRESS_ISSUE),
    "Exception_008": (S.EXCEPTION, R.PICKUP_NOT_COLLECTED),
    "Exception_009": (S.EXCEPTION, R.HELD_BY_CARRIER),
    "Exception_010": (S.RETURNING, None),
    "Exception_011": (S.RETURNED, None),
    "Exception_012": (S.EXCEPTION, R.DAMAGED),
    "Exception_013": (S.EXCEPTION, R.LOST),
}


def status_for(tag: str, subtag: str | None) -> tuple[TrackingStatus, TrackingReason | None]:
    """dingdan's status and reason for an AfterShip tag and sub-status."""
    if subtag and subtag in SUBTAG_MEANING:
        return SUBTAG_MEANING[subtag]
    status = TAG_STATUS.get(tag)
    if status is None:
        raise PushMalformed(f"unknown AfterShip tag {tag!r}")
    needs_reason = status in (S.EXCEPTION, S.DELIVERY_FAILED)
    return status, (R.OTHER if needs_reason else None)


def compute_signature(raw_body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(headers: Mapping[str, str], raw_body: bytes, secret: str) -> None:
    """Raise PushRejected unless `aftership-hmac-sha256` signs the raw body with `secret`."""
    received = find_header(headers, SIGNATURE_HEADER)
    if not secret or not received:
        raise PushRejected("AfterShip signature or secret missing")
    expected = compute_signature(raw_body, secret)
    if not hmac.compare_digest(expected.encode(), received.strip().encode()):
        raise PushRejected("AfterShip signature does not match")


def parse_time(value: str, local_tz: tzinfo) -> datetime:
    """AfterShip times come with or without an offset (checkpoint_time is the carrier's
    local time); a time without one is read in `local_tz`."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=local_tz)


def _checkpoint_event(tracking_number: str, checkpoint: Mapping[str, Any], local_tz: tzinfo) -> TrackingEvent:
    tag = checkpoint.get("tag") or ""
    subtag = checkpoint.get("subtag") or ""
    status, reason = status_for(tag, subtag)
    when = checkpoint.get("checkpoint_time") or checkpoint.get("created_at")
    if not when:
        raise PushMalformed("checkpoint without a time")
    return TrackingEvent(
        carrier=AFTERSHIP_CODE,
        tracking_number=tracking_number,
        occurred_at=parse_time(when, local_tz),
        status=status,
        reason=reason,
        source=TrackingSource.PUSH,
        description=checkpoint.get("message") or "",
        location_text=checkpoint.get("location") or "",
        city=checkpoint.get("city") or "",
        postal_code=checkpoint.get("zip") or checkpoint.get("postal_code") or "",
        raw_code=subtag or tag,
    )


def parse_webhook(raw_body: bytes, *, local_tz: tzinfo = TAIPEI) -> ParsedPush:
    """Read a (verified) AfterShip webhook body into dingdan events."""
    try:
        payload = json.loads(raw_body)
        tracking = payload["msg"]
        tracking_number = str(tracking["tracking_number"])
        events = tuple(
            _checkpoint_event(tracking_number, checkpoint, local_tz)
            for checkpoint in tracking.get("checkpoints") or []
        )
        expected = tracking.get("expected_delivery")
        estimated = parse_time(expected, local_tz) if expected else None
    except (ValueError, KeyError, TypeError) as error:
        raise PushMalformed(f"unreadable AfterShip webhook: {error}") from error
    return ParsedPush(
        carrier=AFTERSHIP_CODE,
        tracking_number=tracking_number,
        events=events,
        courier_code=str(tracking.get("slug") or ""),
        provider_event_id=str(payload.get("event_id") or ""),
        estimated_delivery=estimated,
        provider_gave_up=tracking.get("tag") == "Expired",
    )


class AfterShipReceiver(PushOnlyCarrier):
    """Push receiver for AfterShip, configured with the webhook secret."""

    code = AFTERSHIP_CODE
    display_name = "AfterShip"

    def __init__(self, *, webhook_secret: str, local_tz: tzinfo = TAIPEI) -> None:
        self._secret = webhook_secret
        self._local_tz = local_tz

    def parse_push(self, headers: Mapping[str, str], raw_body: bytes, now: datetime) -> ParsedPush:
        verify_signature(headers, raw_body, self._secret)
        return parse_webhook(raw_body, local_tz=self._local_tz)
