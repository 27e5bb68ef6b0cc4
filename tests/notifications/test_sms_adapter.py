"""The HTTP SMS gateway adapter against a real HTTP server on loopback; the sandbox gateway."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from dingdan.notifications.adapters.sms import (
    HttpSmsGateway,
    SandboxSmsGateway,
    SmsMessage,
)
from dingdan.notifications.errors import DeliveryFailed, InvalidRecipient
from dingdan.platform.outbound import OutboundPolicy

from .conftest import GatewayServer, free_port

SECRET = "gateway-shared-secret"
SENT_AT = datetime(2025, 6, 8, 6, 23, 42, tzinfo=UTC)
TEXT = "【好物商店】訂單 DD20250608-0001 已發貨,黑貓宅急便 物流單號 123456789012。"


def shipped_sms(reference: str = "n1:ref-1") -> SmsMessage:
    return SmsMessage(to="+886912345678", text=TEXT, sender="HaoWu", reference=reference)


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def gateway_for(url: str, client: httpx.AsyncClient) -> HttpSmsGateway:
    """The test gateway listens on loopback, which only a development sandbox may reach."""
    sandbox = OutboundPolicy(allow_private=True)
    return HttpSmsGateway(
        url=url, secret=SECRET, client=client, clock=lambda: SENT_AT, timeout_seconds=5, policy=sandbox
    )


async def test_the_gateway_receives_the_documented_signed_payload(
    sms_gateway_server: GatewayServer, http_client: httpx.AsyncClient
) -> None:
    receipt = await gateway_for(sms_gateway_server.url, http_client).send(shipped_sms())
    [request] = sms_gateway_server.received
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert request.path == "/v1/messages"
    assert json.loads(request.body) == {
        "to": "+886912345678",
        "text": TEXT,
        "sender": "HaoWu",
        "reference": "n1:ref-1",
    }
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["idempotency-key"] == "n1:ref-1"
    timestamp = headers["x-dingdan-timestamp"]
    assert timestamp == str(int(SENT_AT.timestamp()))
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert hmac.compare_digest(headers["x-dingdan-signature"], "sha256=" + expected.hexdigest())
    assert (receipt.reference, receipt.gateway_message_id) == ("n1:ref-1", "gw-1")


async def test_a_retry_carries_the_same_reference(
    sms_gateway_server: GatewayServer, http_client: httpx.AsyncClient
) -> None:
    gateway = gateway_for(sms_gateway_server.url, http_client)
    sms_gateway_server.answer_next(503)
    with pytest.raises(DeliveryFailed):
        await gateway.send(shipped_sms())
    await gateway.send(shipped_sms())
    keys = [r.headers["Idempotency-Key"] for r in sms_gateway_server.received]
    assert keys == ["n1:ref-1", "n1:ref-1"]


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(500, False), (503, False), (429, False), (408, False), (400, True), (401, True), (422, True)],
)
async def test_gateway_refusals_are_classified(
    sms_gateway_server: GatewayServer,
    http_client: httpx.AsyncClient,
    status: int,
    permanent: bool,
) -> None:
    sms_gateway_server.answer_next(status, {"error": "no"})
    with pytest.raises(DeliveryFailed) as failure:
        await gateway_for(sms_gateway_server.url, http_client).send(shipped_sms())
    assert failure.value.permanent is permanent


async def test_an_answer_without_an_id_is_still_a_delivery(
    sms_gateway_server: GatewayServer, http_client: httpx.AsyncClient
) -> None:
    sms_gateway_server.answer_next(200)
    receipt = await gateway_for(sms_gateway_server.url, http_client).send(shipped_sms())
    assert receipt.gateway_message_id is None


async def test_an_unreachable_gateway_is_a_retryable_failure(
    http_client: httpx.AsyncClient,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1/messages"
    with pytest.raises(DeliveryFailed) as failure:
        await gateway_for(url, http_client).send(shipped_sms())
    assert failure.value.permanent is False


@pytest.mark.parametrize("number", ["0912345678", "+0912345678", "+886 912 345 678", "+1234"])
def test_numbers_must_be_e164(number: str) -> None:
    with pytest.raises(InvalidRecipient):
        SmsMessage(to=number, text="hi", sender="HaoWu", reference="r")


async def test_the_sandbox_records_messages_for_the_console() -> None:
    sandbox = SandboxSmsGateway(clock=lambda: SENT_AT)
    await sandbox.send(shipped_sms("n1:a"))
    await sandbox.send(SmsMessage(to="+886900000000", text="x", sender="HaoWu", reference="n1:b"))
    [recorded] = sandbox.list_messages(to="+886912345678")
    assert (recorded.message.text, recorded.sent_at) == (TEXT, SENT_AT)
    assert len(sandbox.list_messages()) == 2


async def test_the_sandbox_can_be_told_to_fail() -> None:
    sandbox = SandboxSmsGateway()
    sandbox.fail_next(1)
    sandbox.fail_next(1, permanent=True)
    with pytest.raises(DeliveryFailed) as first:
        await sandbox.send(shipped_sms())
    with pytest.raises(DeliveryFailed) as second:
        await sandbox.send(shipped_sms())
    await sandbox.send(shipped_sms())
    assert (first.value.permanent, second.value.permanent) == (False, True)
    assert len(sandbox.list_messages()) == 1
