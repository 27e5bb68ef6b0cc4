"""One shipment's journey sends exactly one SMS and one e-mail per status change, to a real
SMTP server and the sandbox SMS inbox — also when the sender dies mid-delivery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest

from dingdan.notifications.adapters.email import SmtpEmailSender, SmtpSettings
from dingdan.notifications.adapters.sms import SandboxSmsGateway, SmsMessage, SmsReceipt
from dingdan.notifications.outlets import Outlets, use_outlets
from dingdan.notifications.sender import send_due_notifications
from dingdan.platform import clock
from dingdan.platform.clock import FrozenClock
from dingdan.shipping.adapters.sim import SimCarrier
from dingdan.shipping.adapters.sim_journey import SimProfile
from dingdan.workflows.carriers import use_carriers
from factories.shipping import known_carriers, place_confirmed_order, push_sim, ship, sim_of
from factories.shop import make_sku, order_body

from .conftest import SmtpServer

PHONE = "+886912345678"


class GatedSms:
    """An SMS gateway that waits at the door until let in: a sender stuck mid-delivery."""

    def __init__(self, inner: SandboxSmsGateway) -> None:
        self.inner = inner
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def send(self, message: SmsMessage) -> SmsReceipt:
        self.entered.set()
        await self.gate.wait()
        return await self.inner.send(message)


@pytest.fixture
def frozen() -> FrozenClock:
    frozen_clock = FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    clock.set_clock(frozen_clock)
    return frozen_clock


@pytest.fixture
def sms() -> SandboxSmsGateway:
    return SandboxSmsGateway(clock=clock.now)


@pytest.fixture
def outlets(smtp_server: SmtpServer, sms: SandboxSmsGateway) -> Any:
    email = SmtpEmailSender(
        SmtpSettings(host=smtp_server.host, port=smtp_server.port, sender="好物商店 <shop@haowu.example>")
    )
    use_outlets(Outlets(email=email, sms=sms, sms_provider="sandbox"))
    yield
    use_outlets(None)


CUSTOMER = "ming@example.com"


def to_customer(server: SmtpServer) -> list[Any]:
    return [e for e in server.handler.envelopes if e.rcpt_tos == [CUSTOMER]]


def subjects(server: SmtpServer) -> list[str]:
    return [
        str(message_from_bytes(e.original_content or e.content, policy=default_policy)["Subject"])
        for e in to_customer(server)
    ]


@pytest.fixture
def sim() -> Any:
    registry = known_carriers()
    use_carriers(registry)
    yield sim_of(registry)
    use_carriers(None)


async def follow(client, sim: SimCarrier, frozen: FrozenClock, tracking_number: str) -> None:
    """Move the clock to each planned scan of the simulated carrier and let it push."""
    for scan in sim.planned_journey(tracking_number):
        if scan.occurred_at > frozen():
            frozen.advance(seconds=(scan.occurred_at - frozen()).total_seconds())
        assert (await push_sim(client, sim, tracking_number)).status_code == 200


async def journey(client, db, login, sim: SimCarrier, frozen: FrozenClock) -> str:
    """Placed (confirmed), shipped with the simulated carrier, followed to the doorstep."""
    sku = await make_sku(db, stock=5, price="1200")
    number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
    parcel = await ship(client, number, await login("warehouse"))
    await follow(client, sim, frozen, parcel["tracking_number"])
    return number


async def test_each_status_change_sends_one_sms_and_one_email(
    client, db, login, smtp_server, sms, outlets, frozen, sim
):
    number = await journey(client, db, login, sim, frozen)
    await client.app.state.relay.drain()
    assert await send_due_notifications(db) == 8 + 1  # and the new-order alert to the clerk
    texts = [r.message.text for r in sms.messages]
    assert [r.message.to for r in sms.messages] == [PHONE] * 4
    assert ["已確認" in texts[0], "已發貨" in texts[1], "派送" in texts[2], "送達" in texts[3]] == [True] * 4
    assert all(number in t for t in texts)
    assert len(subjects(smtp_server)) == 4 and all(number in s for s in subjects(smtp_server))

    assert all("SIM" in t and "sim" in t for t in texts[1:3])  # courier and tracking number

    # the carrier pushes the whole history again and the sender runs again: nothing more
    tracking_number = texts[1].split("物流單號 ")[1].split("。")[0].strip()
    assert (await push_sim(client, sim, tracking_number)).status_code == 200
    await client.app.state.relay.drain()
    assert await send_due_notifications(db) == 0
    assert (len(sms.messages), len(to_customer(smtp_server))) == (4, 4)
    log = (
        await client.get(f"/api/v1/notifications/deliveries?order={number}", headers=await login("support"))
    ).json()
    customer_log = [d for d in log["items"] if d["recipient"] in {CUSTOMER, PHONE}]
    assert {(d["channel"], d["status"]) for d in customer_log} == {("sms", "sent"), ("email", "sent")}
    assert len(customer_log) == 8


async def test_s_cr_3_a_sender_killed_between_claim_and_mark_sent_sends_once_after_restart(
    client, db, login, smtp_server, sms, frozen, sim
):
    email = SmtpEmailSender(
        SmtpSettings(host=smtp_server.host, port=smtp_server.port, sender="shop@haowu.example")
    )
    gated = GatedSms(sms)
    use_outlets(Outlets(email=email, sms=gated, sms_provider="sandbox"))
    try:
        number = await journey(client, db, login, sim, frozen)
        await client.app.state.relay.drain()
        worker = asyncio.create_task(send_due_notifications(db))
        await asyncio.wait_for(gated.entered.wait(), timeout=10)
        worker.cancel()  # the worker dies holding its claims
        with pytest.raises(asyncio.CancelledError):
            await worker
        assert sms.messages == []
        assert await send_due_notifications(db) == 0  # claims still held: nobody sends twice
        use_outlets(Outlets(email=email, sms=sms, sms_provider="sandbox"))  # the restarted worker
        frozen.advance(minutes=3)  # past the lease
        await send_due_notifications(db)
        await send_due_notifications(db)
    finally:
        use_outlets(None)
    assert len(sms.messages) == 4 and len({r.message.text for r in sms.messages}) == 4
    assert len(to_customer(smtp_server)) == 4
    assert all(number in s for s in subjects(smtp_server))


async def test_a_failed_sms_is_retried_with_back_off_and_logged(
    client, db, login, smtp_server, sms, outlets, frozen
):
    sku = await make_sku(db)
    await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=await login("clerk"))
    await client.app.state.relay.drain()
    sms.fail_next(1)
    assert await send_due_notifications(db) == 2  # the e-mails went (customer, clerk), the SMS failed
    support = await login("support")
    failed = (await client.get("/api/v1/notifications/deliveries?channel=sms", headers=support)).json()[
        "items"
    ][0]
    assert (failed["status"], failed["attempts"]) == ("pending", 1)
    assert "sandbox" in failed["last_error"]
    assert await send_due_notifications(db) == 0  # not due yet
    frozen.advance(seconds=40)
    assert await send_due_notifications(db) == 1
    inbox = (await client.get("/api/v1/notifications/sandbox/sms?to=%2B886912345678", headers=support)).json()
    assert len(inbox["items"]) == 1 and inbox["items"][0]["attempts"] == 2


async def test_customer_choice_turns_a_channel_off(client, db, login, smtp_server, sms, outlets, frozen):
    from dingdan.notifications import preferences

    await db.write(
        preferences.set_customer_choice,
        customer_id=None,
        phone="0912345678",
        email=True,
        sms=False,
        locale="en",
    )
    sku = await make_sku(db)
    await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=await login("clerk"))
    await client.app.state.relay.drain()
    await send_due_notifications(db)
    assert sms.messages == []
    assert subjects(smtp_server)[0].startswith("[dingdan")


async def test_staff_alerts_arrive_at_once_or_in_a_daily_digest(
    client, db, login, smtp_server, sms, outlets, frozen
):
    from dingdan.notifications.digest import send_staff_digests

    clerk, owner = await login("clerk"), await login("owner")
    put = await client.put(
        "/api/v1/notifications/alerts/preference", json={"email_mode": "digest"}, headers=owner
    )
    assert put.status_code == 200
    sku = await make_sku(db)
    body = order_body((sku, 1), channel="manual")  # manual orders wait for review
    await client.post("/api/v1/orders", json=body, headers=clerk)
    await client.app.state.relay.drain()
    await send_due_notifications(db)
    to_staff = [e.rcpt_tos[0] for e in smtp_server.handler.envelopes if e.rcpt_tos[0].endswith("@shop.test")]
    assert to_staff == ["clerk@shop.test"] * 2  # new order + needs review; the owner chose the digest
    alerts = (await client.get("/api/v1/notifications/alerts", headers=owner)).json()["items"]
    assert {a["template"] for a in alerts} == {"merchant.new_order", "merchant.order_needs_review"}
    frozen.advance(hours=6)  # 16:00 in Taipei, past the digest hour
    assert await send_staff_digests(db) == 2  # both alerts, folded into one e-mail
    assert await send_staff_digests(db) == 0
    await send_due_notifications(db)
    digests = [e for e in smtp_server.handler.envelopes if e.rcpt_tos == ["owner@shop.test"]]
    assert len(digests) == 1


async def test_a_lost_parcel_tells_the_customer_once_and_alerts_shipping_staff(
    client, db, login, smtp_server, sms, outlets, frozen
):
    registry = known_carriers(SimProfile(0, 0, 0, 0, 0, loss_share=1))
    use_carriers(registry)
    try:
        sku = await make_sku(db, stock=5)
        number = await place_confirmed_order(client, await login("clerk"), (sku, 1))
        parcel = await ship(client, number, await login("warehouse"))
        await follow(client, sim_of(registry), frozen, parcel["tracking_number"])
        await follow(client, sim_of(registry), frozen, parcel["tracking_number"])  # pushed again
    finally:
        use_carriers(None)
    await client.app.state.relay.drain()
    await send_due_notifications(db)
    texts = [r.message.text for r in sms.messages]
    assert ["已確認" in texts[0], "已發貨" in texts[1], "異常" in texts[2]] == [True] * 3
    assert len(texts) == 3 and len(subjects(smtp_server)) == 3
    alerts = [e for e in smtp_server.handler.envelopes if e.rcpt_tos == ["warehouse@shop.test"]]
    alert_subjects = [str(message_from_bytes(e.content, policy=default_policy)["Subject"]) for e in alerts]
    assert len(alert_subjects) == 1 and number in alert_subjects[0]
