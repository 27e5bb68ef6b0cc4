"""SMS through a generic HTTP gateway, and the built-in sandbox gateway.

Wire format of `HttpSmsGateway` (what a gateway operator implements):

    POST <gateway url>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <reference>
    X-Dingdan-Timestamp: <integer Unix seconds>
    X-Dingdan-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

    {"to": "+886912345678", "text": "…", "sender": "MyShop", "reference": "<dedupe key>"}

`to` is an E.164 number; `text` is UTF-8 (Traditional Chinese welcome); `reference` is the
notification's dedupe key, the same on every retry, so the gateway can drop a duplicate. The
secret is the shared secret as UTF-8 bytes. The gateway should reject a signature that does
not match or a timestamp more than 300 s away from its clock.

Answers: any 2xx is accepted (a JSON body `{"id": "..."}` is kept as the gateway's message
id); 408, 429 and 5xx, and transport errors, are retried later; any other 4xx is permanent, and
so is a redirect, which is never followed. The URL must resolve to public addresses only
(`dingdan.platform.outbound`), checked again on every send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import httpx

from dingdan.notifications.errors import DeliveryFailed, InvalidRecipient
from dingdan.platform import outbound

TIMESTAMP_HEADER = "X-Dingdan-Timestamp"
SIGNATURE_HEADER = "X-Dingdan-Signature"
RETRYABLE_STATUSES = frozenset({408, 429})
E164 = re.compile(r"\+[1-9]\d{7,14}")


@dataclass(frozen=True, slots=True)
class SmsMessage:
    to: str
    text: str
    sender: str
    reference: str

    def __post_init__(self) -> None:
        if not E164.fullmatch(self.to):
            raise InvalidRecipient("not an E.164 phone number: {to!r}", params={"to": self.to}, field="to")


@dataclass(frozen=True, slots=True)
class SmsReceipt:
    reference: str
    gateway_message_id: str | None


class SmsGateway(Protocol):
    async def send(self, message: SmsMessage) -> SmsReceipt:
        """Hand `message` to the gateway. Raises `DeliveryFailed`."""
        ...


def encode_payload(message: SmsMessage) -> bytes:
    payload = {
        "to": message.to,
        "text": message.text,
        "sender": message.sender,
        "reference": message.reference,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Dingdan-Signature` value for a body sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


class HttpSmsGateway:
    """Posts each message to one gateway URL through the injected `httpx.AsyncClient`."""

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        client: httpx.AsyncClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout_seconds: float = 10.0,
        policy: outbound.OutboundPolicy | None = None,
    ) -> None:
        self._policy = policy or outbound.OutboundPolicy()
        self._url = url
        self._secret = secret
        self._client = client
        self._clock = clock
        self._timeout = timeout_seconds

    async def send(self, message: SmsMessage) -> SmsReceipt:
        body = encode_payload(message)
        timestamp = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.reference,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        try:
            response = await outbound.send(
                self._client,
                "POST",
                self._url,
                policy=self._policy,
                headers=headers,
                content=body,
                timeout=self._timeout,
                field="sms_url",
            )
        except outbound.OutboundRefused as exc:
            raise DeliveryFailed(
                "SMS gateway address refused: {detail}", params={"detail": exc.detail}, permanent=True
            ) from exc
        except outbound.OutboundUnreachable as exc:
            raise DeliveryFailed(
                "SMS gateway unreachable: {detail}", params={"detail": exc.detail}, permanent=False
            ) from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                "SMS gateway unreachable: {exc!r}", params={"exc": exc}, permanent=False
            ) from exc
        _raise_for_refusal(response)
        return SmsReceipt(message.reference, _gateway_message_id(response))


def _raise_for_refusal(response: httpx.Response) -> None:
    status = response.status_code
    if response.is_success:
        return
    if response.is_redirect:
        raise DeliveryFailed(
            "SMS gateway answered {status}; redirects are not followed",
            params={"status": status},
            permanent=True,
        )
    permanent = 400 <= status < 500 and status not in RETRYABLE_STATUSES
    raise DeliveryFailed("SMS gateway answered {status}", params={"status": status}, permanent=permanent)


def _gateway_message_id(response: httpx.Response) -> str | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    message_id = answer.get("id") if isinstance(answer, dict) else None
    return message_id if isinstance(message_id, str) else None


@dataclass(frozen=True, slots=True)
class RecordedSms:
    message: SmsMessage
    sent_at: datetime


@dataclass
class SandboxSmsGateway:
    """Sends nothing: records every message, newest last, for the console's SMS view.

    `fail_next(count, permanent=...)` makes the next sends fail, to exercise retries.
    """

    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    messages: list[RecordedSms] = field(default_factory=list)
    _failures: list[bool] = field(default_factory=list)

    def fail_next(self, count: int = 1, *, permanent: bool = False) -> None:
        self._failures.extend([permanent] * count)

    async def send(self, message: SmsMessage) -> SmsReceipt:
        if self._failures:
            raise DeliveryFailed("sandbox SMS gateway told to fail", permanent=self._failures.pop(0))
        self.messages.append(RecordedSms(message, self.clock()))
        return SmsReceipt(message.reference, f"sandbox-{len(self.messages)}")

    def list_messages(self, *, to: str | None = None) -> list[RecordedSms]:
        return [sms for sms in self.messages if to is None or sms.message.to == to]
