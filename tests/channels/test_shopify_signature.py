"""X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body, keyed with the app secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from hypothesis import given
from hypothesis import strategies as st

from dingdan.channels.adapters.shopify import sign_body, verify_signature

SECRET = "shpss_current_secret"
OLD_SECRET = "shpss_previous_secret"


def reference_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_signature_of_the_raw_body_is_accepted(shopify_raw_body: bytes) -> None:
    header = reference_signature(shopify_raw_body, SECRET)
    assert verify_signature(shopify_raw_body, header, [SECRET])


def test_known_vector() -> None:
    # The widely published HMAC-SHA256 example: key "key", the quick brown fox sentence.
    body = b"The quick brown fox jumps over the lazy dog"
    expected_hex = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    header = base64.b64encode(bytes.fromhex(expected_hex)).decode()
    assert sign_body(body, "key") == header
    assert verify_signature(body, header, ["key"])


def test_s_wh_1_body_changed_by_one_byte_is_refused(shopify_raw_body: bytes) -> None:
    header = reference_signature(shopify_raw_body, SECRET)
    tampered = bytearray(shopify_raw_body)
    position = shopify_raw_body.index(b"254.98")
    tampered[position] = ord("9")
    assert not verify_signature(bytes(tampered), header, [SECRET])


def test_s_wh_1_wrong_secret_is_refused(shopify_raw_body: bytes) -> None:
    header = reference_signature(shopify_raw_body, "someone-elses-secret")
    assert not verify_signature(shopify_raw_body, header, [SECRET, OLD_SECRET])


def test_s_wh_1_missing_header_is_refused(shopify_raw_body: bytes) -> None:
    assert not verify_signature(shopify_raw_body, None, [SECRET])
    assert not verify_signature(shopify_raw_body, "", [SECRET])


def test_malformed_base64_is_refused(shopify_raw_body: bytes) -> None:
    good = reference_signature(shopify_raw_body, SECRET)
    for header in ("not base64 at all!", good[:-4], good + "AAAA", "éé==", good.rstrip("=")):
        assert not verify_signature(shopify_raw_body, header, [SECRET]), header


def test_hex_digest_instead_of_base64_is_refused(shopify_raw_body: bytes) -> None:
    hex_header = hmac.new(SECRET.encode(), shopify_raw_body, hashlib.sha256).hexdigest()
    assert not verify_signature(shopify_raw_body, hex_header, [SECRET])


def test_s_wh_1_reserialised_json_does_not_verify(shopify_raw_body: bytes) -> None:
    header = reference_signature(shopify_raw_body, SECRET)
    reserialised = json.dumps(json.loads(shopify_raw_body)).encode()
    assert json.loads(reserialised) == json.loads(shopify_raw_body)
    assert not verify_signature(reserialised, header, [SECRET])


def test_s_wh_7_rotation_accepts_old_and_new_secret(shopify_raw_body: bytes) -> None:
    for secret in (SECRET, OLD_SECRET):
        header = reference_signature(shopify_raw_body, secret)
        assert verify_signature(shopify_raw_body, header, [SECRET, OLD_SECRET])
    assert not verify_signature(shopify_raw_body, reference_signature(shopify_raw_body, OLD_SECRET), [SECRET])


def test_no_configured_secret_accepts_nothing(shopify_raw_body: bytes) -> None:
    header = reference_signature(shopify_raw_body, "")
    assert not verify_signature(shopify_raw_body, header, [])
    assert not verify_signature(shopify_raw_body, header, [""])


def test_whitespace_around_the_header_value_is_tolerated(shopify_raw_body: bytes) -> None:
    header = reference_signature(shopify_raw_body, SECRET)
    assert verify_signature(shopify_raw_body, f" {header}\r\n", [SECRET])


@given(body=st.binary(max_size=2048), secret=st.text(min_size=1, max_size=64))
def test_sign_and_verify_agree_for_any_body(body: bytes, secret: str) -> None:
    header = sign_body(body, secret)
    assert header == reference_signature(body, secret)
    assert verify_signature(body, header, [secret])
    assert not verify_signature(body + b"\x00", header, [secret])
