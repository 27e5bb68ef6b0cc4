"""E-mail over SMTP: a multipart text + HTML message, sent asynchronously with aiosmtplib.

The message is `multipart/alternative` with a UTF-8 `text/plain` part first and a UTF-8
`text/html` part second (clients show the last part they understand). A non-ASCII subject or
display name (Traditional Chinese) is encoded as RFC 2047 encoded-words by the standard
library. When the caller gives a `reference` (the notification's dedupe key), the Message-ID
is derived from it, so a retried send carries the same Message-ID and receiving systems can
recognise the duplicate.

Failures raise `DeliveryFailed`: `permanent=True` when the server refused the recipient or the
message with a 5xx reply; otherwise (connection, timeout, 4xx, authentication or TLS set-up)
the send may be retried later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol

import aiosmtplib

from dingdan.notifications.errors import DeliveryFailed, InvalidRecipient

PERMANENT_REPLY_CODES = range(500, 600)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send. `starttls` upgrades a plain connection (port 587) and fails if
    the server cannot; `implicit_tls` opens TLS at once (port 465). Never both."""

    host: str = "localhost"
    port: int = 25
    sender: str = "shop@localhost"
    starttls: bool = False
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.starttls and self.implicit_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    reference: str | None = None


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail, *, sent_at: datetime) -> str:
        """Deliver `email`; return its Message-ID. Raises `DeliveryFailed`."""
        ...


def build_message(email: OutgoingEmail, *, sender: str, sent_at: datetime) -> EmailMessage:
    """The MIME message for `email`, from `sender` (may be `Display Name <address>`)."""
    recipient = _require_address(email.to)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = email.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = _message_id(email.reference, sender)
    message.set_content(email.text, subtype="plain", charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    return message


class SmtpEmailSender:
    """Sends through one SMTP server; one connection per message (notifications are few)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, email: OutgoingEmail, *, sent_at: datetime) -> str:
        message = build_message(email, sender=self._settings.sender, sent_at=sent_at)
        settings = self._settings
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                start_tls=settings.starttls,
                use_tls=settings.implicit_tls,
                timeout=settings.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise delivery_failure(exc) from exc
        return str(message["Message-ID"])


def delivery_failure(exc: Exception) -> DeliveryFailed:
    """Classify an SMTP failure: refused recipient or message (5xx) is permanent."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refusal.code for refusal in exc.recipients]
        permanent = bool(codes) and all(code in PERMANENT_REPLY_CODES for code in codes)
        return DeliveryFailed("recipient refused: {codes}", params={"codes": codes}, permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return DeliveryFailed(
            "SMTP authentication failed ({code})", params={"code": exc.code}, permanent=False
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        permanent = exc.code in PERMANENT_REPLY_CODES
        return DeliveryFailed("SMTP server replied {code}", params={"code": exc.code}, permanent=permanent)
    return DeliveryFailed(
        "SMTP delivery failed: {kind}", params={"kind": type(exc).__name__}, permanent=False
    )


def _require_address(address: str) -> str:
    _, addr_spec = parseaddr(address)
    local, at, domain = addr_spec.rpartition("@")
    if not at or not local or "." not in domain or any(c in address for c in "\r\n"):
        raise InvalidRecipient("not an e-mail address: {address!r}", params={"address": address}, field="to")
    return address


def _message_id(reference: str | None, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    if reference is None:
        return make_msgid(domain=domain)
    digest = hashlib.sha256(reference.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"
