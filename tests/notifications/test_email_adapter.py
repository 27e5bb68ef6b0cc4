"""E-mail through a real SMTP server started by the test; messages parsed back."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import cast

import pytest

from dingdan.notifications.adapters.email import (
    OutgoingEmail,
    SmtpEmailSender,
    SmtpSettings,
    build_message,
)
from dingdan.notifications.errors import DeliveryFailed, InvalidRecipient

from .conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer, free_port

SENT_AT = datetime(2025, 6, 8, 6, 23, tzinfo=UTC)
SUBJECT = "【好物商店】訂單 DD20250608-0001 已發貨"
TEXT = "王小明 您好:\n\n您的訂單 DD20250608-0001 已發貨。\n\n物流單號:123456789012\n"
HTML = "<p>王小明 您好:</p><p>您的訂單 DD20250608-0001 已發貨。</p>"


def shipped_email(to: str = "wang@example.com", reference: str | None = None) -> OutgoingEmail:
    return OutgoingEmail(to=to, subject=SUBJECT, text=TEXT, html=HTML, reference=reference)


def settings_for(server: SmtpServer, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "sender": "好物商店 <shop@haowu.example>",
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return SmtpSettings(**values)  # type: ignore[arg-type]


def received(server: SmtpServer) -> EmailMessage:
    [envelope] = server.handler.envelopes
    raw = cast(bytes, envelope.original_content or envelope.content)
    return cast(EmailMessage, message_from_bytes(raw, policy=default_policy))


async def test_chinese_subject_and_body_arrive_intact(smtp_server: SmtpServer) -> None:
    await SmtpEmailSender(settings_for(smtp_server)).send(shipped_email(), sent_at=SENT_AT)
    message = received(smtp_server)
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "好物商店"
    assert smtp_server.handler.envelopes[0].rcpt_tos == ["wang@example.com"]
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content().replace("\r\n", "\n") == TEXT
    assert HTML in html_part.get_content()
    assert message.get_content_type() == "multipart/alternative"


async def test_headers_on_the_wire_are_ascii(smtp_server: SmtpServer) -> None:
    await SmtpEmailSender(settings_for(smtp_server)).send(shipped_email(), sent_at=SENT_AT)
    envelope = smtp_server.handler.envelopes[0]
    raw = cast(bytes, envelope.original_content or envelope.content)
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()
    assert b"Subject: =?utf-8?" in header_block


async def test_login_with_user_and_password(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server, username=SMTP_USER, password=SMTP_PASSWORD)
    await SmtpEmailSender(settings).send(shipped_email(), sent_at=SENT_AT)
    assert len(smtp_server.handler.envelopes) == 1


async def test_wrong_password_is_a_retryable_failure(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server, username=SMTP_USER, password="wrong")
    with pytest.raises(DeliveryFailed) as failure:
        await SmtpEmailSender(settings).send(shipped_email(), sent_at=SENT_AT)
    assert failure.value.permanent is False
    assert smtp_server.handler.envelopes == []


async def test_a_refused_mailbox_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await SmtpEmailSender(settings_for(smtp_server)).send(
            shipped_email("nobody@refused.example"), sent_at=SENT_AT
        )
    assert failure.value.permanent is True


async def test_starttls_required_but_not_offered_sends_nothing(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server, starttls=True)
    with pytest.raises(DeliveryFailed) as failure:
        await SmtpEmailSender(settings).send(shipped_email(), sent_at=SENT_AT)
    assert failure.value.permanent is False
    assert smtp_server.handler.envelopes == []


async def test_a_server_that_is_down_is_a_retryable_failure() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), timeout_seconds=2.0)
    with pytest.raises(DeliveryFailed) as failure:
        await SmtpEmailSender(settings).send(shipped_email(), sent_at=SENT_AT)
    assert failure.value.permanent is False


@pytest.mark.parametrize("bad", ["not-an-address", "a@b", "x@example.com\r\nBcc: all@example.com"])
def test_a_bad_recipient_is_refused_before_sending(bad: str) -> None:
    with pytest.raises(InvalidRecipient):
        build_message(shipped_email(bad), sender="shop@haowu.example", sent_at=SENT_AT)


def test_a_retried_notification_keeps_its_message_id() -> None:
    first = build_message(shipped_email(reference="n1:abc"), sender="s@h.example", sent_at=SENT_AT)
    again = build_message(shipped_email(reference="n1:abc"), sender="s@h.example", sent_at=SENT_AT)
    other = build_message(shipped_email(reference="n1:xyz"), sender="s@h.example", sent_at=SENT_AT)
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@h.example>")


def test_starttls_and_implicit_tls_cannot_both_be_on() -> None:
    with pytest.raises(ValueError):
        SmtpSettings(starttls=True, implicit_tls=True)
