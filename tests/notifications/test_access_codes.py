"""Password-reset and verification codes reach the address they were asked for, once."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default as default_policy

from console.conftest import console  # noqa: F401  (fixture)
from dingdan.notifications.sender import send_due_notifications

from .test_delivery_journey import frozen, outlets, sms  # noqa: F401  (fixtures)


async def register(client, username: str) -> dict[str, str]:
    answer = await client.post(
        "/api/v1/me/register", json={"username": username, "password": "sesame-street", "name": "小美"}
    )
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_a_reset_code_by_sms_is_sent_once_and_works(client, db, smtp_server, sms, outlets, frozen):  # noqa: F811
    await register(client, "0933111222")
    assert (
        await client.post("/api/v1/me/password-reset", json={"username": "0933111222"})
    ).status_code == 202
    await client.app.state.relay.drain()
    assert await send_due_notifications(db) == 1
    await client.app.state.relay.drain()
    assert await send_due_notifications(db) == 0
    [sent] = sms.messages
    assert sent.message.to == "+886933111222" and "重設密碼" in sent.message.text
    code = re.search(r"\b(\d{6})\b", sent.message.text).group(1)
    body = {"username": "0933111222", "code": code, "new_password": "brand-new-secret"}
    assert (await client.post("/api/v1/me/password-reset/confirm", json=body)).status_code == 204


async def test_a_reset_code_by_e_mail_goes_through_smtp(client, db, smtp_server, sms, outlets, frozen):  # noqa: F811
    await register(client, "mei@example.com")
    await client.post("/api/v1/me/password-reset", json={"username": "mei@example.com"})
    await client.app.state.relay.drain()
    await send_due_notifications(db)
    assert sms.messages == []
    [mail] = [e for e in smtp_server.handler.envelopes if e.rcpt_tos == ["mei@example.com"]]
    assert re.search(rb"\d{6}", mail.original_content or mail.content)


async def staff_views(client, login, open_console) -> str:
    """Every place staff read the delivery log, as one text."""
    headers = await login("support")
    deliveries = await client.get("/api/v1/notifications/deliveries", headers=headers)
    inbox = await client.get("/api/v1/notifications/sandbox/sms", headers=headers)
    page = await (await open_console("owner")).get("/console/notifications")
    assert deliveries.status_code == inbox.status_code == page.status_code == 200
    return deliveries.text + inbox.text + page.text


async def test_codes_are_masked_for_staff_only(client, db, smtp_server, sms, outlets, frozen, login, console):  # noqa: F811
    await register(client, "0933111222")
    await register(client, "mei@example.com")
    for username in ("0933111222", "mei@example.com"):
        answer = await client.post("/api/v1/me/password-reset", json={"username": username})
        assert answer.status_code == 202, answer.text
    await client.app.state.relay.drain()
    before_sending = await staff_views(client, login, console)
    assert await send_due_notifications(db) == 2

    sms_code = re.search(r"\b(\d{6})\b", sms.messages[0].message.text).group(1)
    [mail] = [e for e in smtp_server.handler.envelopes if e.rcpt_tos == ["mei@example.com"]]
    text = message_from_bytes(mail.original_content or mail.content, policy=default_policy)
    mail_code = re.search(r"\b(\d{6})\b", text.get_body(("plain",)).get_content()).group(1)
    logged = before_sending + await staff_views(client, login, console)
    for code in (sms_code, mail_code):
        assert code not in logged
        assert f"••••{code[-2:]}" in logged
