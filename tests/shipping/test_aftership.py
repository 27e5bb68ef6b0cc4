from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dingdan.shipping.adapters.aftership import (
    SIGNATURE_HEADER,
    AfterShipReceiver,
    compute_signature,
    parse_webhook,
    status_for,
)
from dingdan.shipping.errors import CapabilityNotSupported, PushMalformed, PushRejected
from dingdan.shipping.rules import TrackingReason, TrackingStatus, apply_event

S = TrackingStatus
SAMPLE = (Path(__file__).parent / "fixtures" / "aftership_tracking_update.json").read_bytes()
SECRET = "aftership-webhook-secret"
NOW = datetime(2021, 1, 5, 21, 30, tzinfo=UTC)


def signed_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"Content-Type": "application/json", "Aftership-Hmac-Sha256": base64.b64encode(digest).decode()}


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    assert compute_signature(SAMPLE, SECRET) == signed_headers(SAMPLE)["Aftership-Hmac-Sha256"]


def test_documented_sample_becomes_dingdan_events():
    receiver = AfterShipReceiver(webhook_secret=SECRET)
    parsed = receiver.parse_push(signed_headers(SAMPLE), SAMPLE, NOW)
    assert parsed.tracking_number == "9361289676091361892011"
    assert parsed.courier_code == "usps"
    assert parsed.provider_event_id == "3f645f5e-530b-4062-8695-db6a64420af8"
    assert [e.status for e in parsed.events] == [
        S.INFO_RECEIVED,
        S.PICKED_UP,
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
    ]
    delivered = parsed.events[-1]
    assert delivered.occurred_at == datetime(2021, 1, 5, 19, 35, tzinfo=UTC)
    assert (delivered.city, delivered.postal_code) == ("ORLANDO", "32801")
    assert delivered.description == "Delivered, In/At Mailbox"
    assert delivered.raw_code == "Delivered_001"


def test_replayed_sample_has_the_same_dedupe_keys():
    receiver = AfterShipReceiver(webhook_secret=SECRET)
    first = receiver.parse_push(signed_headers(SAMPLE), SAMPLE, NOW)
    again = receiver.parse_push(signed_headers(SAMPLE), SAMPLE, NOW)
    keys = [event.dedupe_key for event in first.events]
    assert keys == [event.dedupe_key for event in again.events]
    assert len(set(keys)) == len(keys)


def test_applying_the_sample_in_any_order_ends_delivered():
    parsed = parse_webhook(SAMPLE)
    status, last = S.PENDING, None
    for event in reversed(parsed.events):
        decision = apply_event(status, last, event)
        status, last = decision.status, decision.last_event_at
    assert status is S.DELIVERED


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE_HEADER: ""},
        signed_headers(SAMPLE, "wrong-secret"),
        signed_headers(SAMPLE + b" "),
    ],
)
def test_badly_signed_push_is_rejected(headers):
    receiver = AfterShipReceiver(webhook_secret=SECRET)
    with pytest.raises(PushRejected):
        receiver.parse_push(headers, SAMPLE, NOW)


def test_signed_but_unreadable_body_is_malformed():
    body = b'{"msg": {"checkpoints": []}}'
    with pytest.raises(PushMalformed):
        AfterShipReceiver(webhook_secret=SECRET).parse_push(signed_headers(body), body, NOW)


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("InTransit", "InTransit_002", (S.PICKED_UP, None)),
        ("InTransit", "InTransit_003", (S.IN_TRANSIT, None)),
        ("AttemptFail", "AttemptFail_002", (S.DELIVERY_FAILED, TrackingReason.RECIPIENT_UNAVAILABLE)),
        ("Exception", "Exception_007", (S.EXCEPTION, TrackingReason.ADDRESS_ISSUE)),
        ("Exception", "Exception_010", (S.RETURNING, None)),
        ("Exception", "Exception_011", (S.RETURNED, None)),
        ("Exception", "Exception_013", (S.EXCEPTION, TrackingReason.LOST)),
        ("Exception", "Exception_099", (S.EXCEPTION, TrackingReason.OTHER)),
        ("AvailableForPickup", "AvailableForPickup_001", (S.AVAILABLE_FOR_PICKUP, None)),
        ("Expired", "Expired_001", (S.EXPIRED, None)),
    ],
)
def test_tag_and_subtag_table(tag, subtag, expected):
    assert status_for(tag, subtag) == expected


async def test_aftership_only_receives_pushes():
    with pytest.raises(CapabilityNotSupported):
        await AfterShipReceiver(webhook_secret=SECRET).fetch_tracking("x")
