"""Webhook signature matrix, replay window and secret rotation (Standard Webhooks scheme)."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime, timedelta

import pytest

from dingdan.payments.adapters import standard_webhooks as sw
from dingdan.payments.errors import WebhookMalformed, WebhookSignatureInvalid

# The published test vector of the Standard Webhooks specification.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = datetime(2025, 6, 8, 6, 23, 42, tzinfo=UTC)
SECRET = sw.generate_secret()
BODY = b'{"type":"payment.succeeded","data":{"amount":"50.00"}}'


def signed_at(moment: datetime, body: bytes = BODY, *secrets: str) -> dict[str, str]:
    return sw.signed_headers("evt_1", int(moment.timestamp()), body, list(secrets or [SECRET]))


def test_signature_matches_the_published_vector() -> None:
    assert sw.sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY, VECTOR_SECRET) == VECTOR_SIGNATURE


def test_published_vector_verifies_at_its_own_time() -> None:
    headers = {
        "Webhook-Id": VECTOR_ID,
        "Webhook-Timestamp": str(VECTOR_TIMESTAMP),
        "Webhook-Signature": VECTOR_SIGNATURE,
    }
    at = datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC)
    message = sw.verify(headers, VECTOR_BODY, [VECTOR_SECRET], at)
    assert message.message_id == VECTOR_ID


def test_valid_message_is_accepted() -> None:
    message = sw.verify(signed_at(NOW), BODY, [SECRET], NOW)
    assert (message.message_id, message.body) == ("evt_1", BODY)


def test_s_wh_1_body_changed_by_one_byte_is_rejected() -> None:
    tampered = BODY.replace(b"50.00", b"50.01")
    with pytest.raises(WebhookSignatureInvalid):
        sw.verify(signed_at(NOW), tampered, [SECRET], NOW)


def test_s_wh_1_wrong_secret_is_rejected() -> None:
    with pytest.raises(WebhookSignatureInvalid):
        sw.verify(signed_at(NOW), BODY, [sw.generate_secret()], NOW)


def test_s_wh_1_reserialised_json_is_rejected() -> None:
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert reserialised != BODY
    with pytest.raises(WebhookSignatureInvalid):
        sw.verify(signed_at(NOW), reserialised, [SECRET], NOW)


@pytest.mark.parametrize("header", [sw.ID_HEADER, sw.TIMESTAMP_HEADER, sw.SIGNATURE_HEADER])
def test_s_wh_1_missing_header_is_rejected_as_unsigned(header: str) -> None:
    headers = signed_at(NOW)
    del headers[header]
    with pytest.raises(WebhookSignatureInvalid, match=header):
        sw.verify(headers, BODY, [SECRET], NOW)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (sw.TIMESTAMP_HEADER, "2025-06-08T06:23:42Z"),
        (sw.TIMESTAMP_HEADER, "-1614265330"),
        (sw.SIGNATURE_HEADER, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
    ],
)
def test_s_wh_1_malformed_header_is_a_bad_request(header: str, value: str) -> None:
    headers = signed_at(NOW)
    headers[header] = value
    with pytest.raises(WebhookMalformed):
        sw.verify(headers, BODY, [SECRET], NOW)


def test_signatures_of_an_unknown_version_do_not_count() -> None:
    headers = signed_at(NOW)
    headers[sw.SIGNATURE_HEADER] = headers[sw.SIGNATURE_HEADER].replace("v1,", "v2,")
    with pytest.raises(WebhookSignatureInvalid):
        sw.verify(headers, BODY, [SECRET], NOW)


@pytest.mark.parametrize("offset", [-299, 299, -300, 300])
def test_s_wh_2_timestamp_within_300_seconds_either_way_is_accepted(offset: int) -> None:
    sent = NOW + timedelta(seconds=offset)
    assert sw.verify(signed_at(sent), BODY, [SECRET], NOW).message_id == "evt_1"


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_s_wh_2_timestamp_beyond_300_seconds_either_way_is_rejected(offset: int) -> None:
    sent = NOW + timedelta(seconds=offset)
    with pytest.raises(WebhookSignatureInvalid, match="tolerance"):
        sw.verify(signed_at(sent), BODY, [SECRET], NOW)


def test_s_wh_7_during_rotation_old_and_new_secrets_both_verify() -> None:
    old, new = sw.generate_secret(), sw.generate_secret()
    assert sw.verify(signed_at(NOW, BODY, old), BODY, [old, new], NOW)
    assert sw.verify(signed_at(NOW, BODY, new), BODY, [old, new], NOW)


def test_s_wh_7_after_rotation_the_removed_secret_is_rejected() -> None:
    old, new = sw.generate_secret(), sw.generate_secret()
    with pytest.raises(WebhookSignatureInvalid):
        sw.verify(signed_at(NOW, BODY, old), BODY, [new], NOW)


def test_a_sender_may_sign_with_several_secrets_at_once() -> None:
    old, new = sw.generate_secret(), sw.generate_secret()
    headers = signed_at(NOW, BODY, old, new)
    assert len(headers[sw.SIGNATURE_HEADER].split()) == 2
    assert sw.verify(headers, BODY, [new], NOW)


def test_header_names_are_case_insensitive() -> None:
    headers = {name.upper(): value for name, value in signed_at(NOW).items()}
    assert sw.verify(headers, BODY, [SECRET], NOW)


def test_no_configured_secret_accepts_nothing() -> None:
    with pytest.raises(WebhookSignatureInvalid):
        sw.verify(signed_at(NOW), BODY, [], NOW)


def test_s_wh_1_signatures_are_compared_in_constant_time() -> None:
    source = inspect.getsource(sw.verify)
    assert "hmac.compare_digest" in source
    assert "expected ==" not in source and "== expected" not in source
