"""The console's after-sales queue and delivery log, as support staff use them."""

from __future__ import annotations

import re

from dingdan.aftersales.rules import RequestKind
from dingdan.notifications.adapters.sms import SandboxSmsGateway
from dingdan.notifications.outlets import Outlets, use_outlets
from dingdan.notifications.sender import send_due_notifications
from dingdan.workflows.aftersales_flow import RequestedLine, open_request

from .conftest import OWNER, delivered_order


async def session_as(client, login, role: str) -> str:
    await login(role)
    page = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = await client.post(
        "/console/login",
        data={"email": f"{role}@shop.test", "password": "correct horse", "csrf_token": token},
    )
    assert answer.status_code == 303
    return token


async def test_support_works_a_request_from_the_queue(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    request = await db.write(
        open_request, order_number=order["number"], customer=OWNER, kind=RequestKind.RETURN_REFUND,
        lines=[RequestedLine(1, 1)], reason="尺寸不合",
    )  # fmt: skip
    token = await session_as(client, login, "support")
    queue = await client.get("/console/aftersales")
    assert queue.status_code == 200
    assert request["number"] in queue.text and "尺寸不合" in queue.text and "退貨退款" in queue.text
    step = f"/console/aftersales/{request['number']}/step"
    refused = await client.post(step, data={"action": "reject", "reason": "", "csrf_token": token})
    assert "error=" in refused.headers["location"]
    approved = await client.post(step, data={"action": "approve", "csrf_token": token})
    assert approved.status_code == 303
    detail = await client.get(approved.headers["location"])
    assert "已同意" in detail.text and "已收到退貨" in detail.text
    english = await client.get(approved.headers["location"] + "?lang=en")
    assert "Approved" in english.text
    assert (await client.post(step, data={"action": "receive"})).status_code == 403  # no CSRF token


async def test_the_delivery_log_shows_what_was_sent_and_clerks_may_not_see_it(client, db, login, frozen):
    sms = SandboxSmsGateway()
    use_outlets(Outlets(email=None, sms=sms, sms_provider="sandbox"))
    try:
        await delivered_order(client, db, login)
        await client.app.state.relay.drain()
        await send_due_notifications(db)
    finally:
        use_outlets(None)
    await session_as(client, login, "support")
    log = await client.get("/console/notifications?channel=sms")
    assert log.status_code == 200
    assert log.text.count('data-testid="delivery-row"') == len(sms.messages) == 3
    assert "+886912345678" in log.text and "沙盒" in log.text
    await session_as(client, login, "clerk")
    assert (await client.get("/console/notifications")).status_code == 403
