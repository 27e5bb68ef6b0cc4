"""Webhook signing and verification per the Standard Webhooks scheme. Pure: no I/O, no clock.

Headers (names case-insensitive):

- `webhook-id`: the message id, unique per event (the dedupe key);
- `webhook-timestamp`: integer Unix seconds when the message was sent;
- `webhook-signature`: one or more space-separated `v1,<base64 HMAC-SHA256>` entries, so a
  sender can sign with the old and the new secret while a secret is rotated.

The signed content is `<webhook-id>.<webhook-timestamp>.<raw body>`, byte for byte: verify the
raw body, never a re-serialised one. A secret is `whsec_` followed by base64 key bytes; a
secret without that prefix is used as UTF-8 bytes. A message is accepted when its timestamp is
at most `TOLERANCE` away from `now` in either direction and any signature matches any secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as token_source
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dingdan.payments.errors import WebhookMalformed, WebhookSignatureInvalid

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
TOLERANCE = timedelta(seconds=300)


@dataclass(frozen=True, slots=True)
class VerifiedMessage:
    """A message whose signature and timestamp were checked."""

    message_id: str
    timestamp: int
    body: bytes


def generate_secret() -> str:
    """A new random signing secret in the `whsec_<base64>` form (32 key bytes)."""
    return SECRET_PREFIX + base64.b64encode(token_source.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key bytes of a secret."""
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise ValueError("a whsec_ secret must be base64 after its prefix") from exc


def sign(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """One `v1,<base64>` signature entry for the message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signed_headers(message_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """The three headers for a message signed with every one of `secrets`."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    signatures = " ".join(sign(message_id, timestamp, body, secret) for secret in secrets)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signatures,
    }


def verify(headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: datetime) -> VerifiedMessage:
    """Check a received message; raise `WebhookSignatureInvalid` or `WebhookMalformed`."""
    message_id, raw_timestamp, raw_signatures = _required_headers(headers)
    timestamp = _parse_timestamp(raw_timestamp)
    received = _parse_signatures(raw_signatures)
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        raise WebhookSignatureInvalid("webhook timestamp is outside the tolerance window")
    for secret in secrets:
        expected = sign(message_id, timestamp, body, secret)
        if any(hmac.compare_digest(expected, candidate) for candidate in received):
            return VerifiedMessage(message_id=message_id, timestamp=timestamp, body=body)
    raise WebhookSignatureInvalid("no webhook signature matches a configured secret")


def _required_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    names = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
    missing = [name for name in names if not lowered.get(name)]
    if missing:
        raise WebhookSignatureInvalid(
            "missing webhook header(s): {headers}", params={"headers": ", ".join(missing)}
        )
    return lowered[ID_HEADER], lowered[TIMESTAMP_HEADER], lowered[SIGNATURE_HEADER]


def _parse_timestamp(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit():
        raise WebhookMalformed(
            "{timestamp_header} must be integer Unix seconds", params={"timestamp_header": TIMESTAMP_HEADER}
        )
    return int(raw)


def _parse_signatures(raw: str) -> list[str]:
    entries = raw.split()
    if any("," not in entry for entry in entries):
        raise WebhookMalformed(
            "{signature_header} entries must look like 'v1,<base64>'",
            params={"signature_header": SIGNATURE_HEADER},
        )
    # Entries of other versions are skipped, as the scheme asks; none left means unsigned.
    return [entry for entry in entries if entry.startswith(f"{SIGNATURE_VERSION},")]
