"""S-SEC-9: no configured URL reaches this machine, its private networks or cloud metadata.

Each bad URL is refused when it is configured (settings at start, product image at save) and
again when a request would be sent; a canary listening on loopback must see no connection.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence

import httpx
import pytest
from pydantic import ValidationError

from dingdan.notifications.adapters.sms import HttpSmsGateway, SmsMessage
from dingdan.notifications.errors import DeliveryFailed
from dingdan.platform import outbound
from dingdan.platform.outbound import OutboundPolicy, OutboundRefused
from dingdan.platform.settings import Settings
from dingdan.shipping.adapters.base import HttpxTransport, OutboundRequest

from .conftest import Canary, Scripted

PUBLIC = "93.184.215.14"
LOOPBACK_NAME = "sms-gateway.example.test"  # a public-looking name that resolves to 127.0.0.1

BAD_URLS = [
    "http://127.0.0.1:{port}/v1/messages",
    "http://localhost:{port}/v1/messages",
    "http://LOCALHOST.:{port}/",
    "http://api.localhost:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://[::1]:{port}/",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://0.0.0.0:{port}/",
    "http://[::]:{port}/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://2130706433:{port}/",  # decimal
    "http://0177.0.0.1:{port}/",  # octal
    "http://0x7f000001:{port}/",  # hex
    "http://0x7f.1:{port}/",
    "http://127.1:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[2002:7f00:1::]:{port}/",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::7f00:1]:{port}/",  # NAT64 around 127.0.0.1
    "http://%31%32%37.0.0.1:{port}/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_",
    "ftp://example.com/",
    "http:///nohost",
]
NEEDS_LOOKUP = [f"http://{LOOPBACK_NAME}:{{port}}/v1/messages"]


def hosts(table: dict[str, Sequence[str]]) -> outbound.Resolver:
    """A resolver reading a hosts table; unknown names do not resolve."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"{host} not found")
        return table[host]

    return resolve


STRICT = OutboundPolicy(resolver=hosts({LOOPBACK_NAME: ["127.0.0.1"]}))


def sms() -> SmsMessage:
    return SmsMessage(to="+886912345678", text="訂單已發貨", sender="Shop", reference="n1:ssrf")


async def send_sms(url: str, policy: OutboundPolicy, client: httpx.AsyncClient | None = None) -> None:
    async with client or httpx.AsyncClient() as http:
        gateway = HttpSmsGateway(url=url, secret="s" * 16, client=http, timeout_seconds=2, policy=policy)
        await gateway.send(sms())


@pytest.mark.parametrize("template", BAD_URLS)
def test_s_sec_9_settings_refuse_each_bad_sms_url_at_start(template: str, canary: Canary) -> None:
    url = template.format(port=canary.port)
    with pytest.raises(ValidationError) as refused:
        Settings(sms_gateway="http", sms_url=url)
    assert refused.value.errors()[0]["loc"] == ("sms_url",)


@pytest.mark.parametrize("template", BAD_URLS + NEEDS_LOOKUP)
async def test_s_sec_9_each_bad_url_is_refused_when_checked_and_at_send_time(
    template: str, canary: Canary
) -> None:
    url = template.format(port=canary.port)
    with pytest.raises(OutboundRefused):
        await outbound.check_url(url, STRICT, field="sms_url")
    with pytest.raises(DeliveryFailed) as failed:
        await send_sms(url, STRICT)
    assert failed.value.permanent
    assert canary.connections == 0


async def test_s_sec_9_a_name_that_rebinds_to_loopback_after_the_check_reaches_nothing(
    canary: Canary,
) -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> Sequence[str]:
        return next(answers)

    policy = OutboundPolicy(resolver=rebinding)
    url = f"http://rebind.example.test:{canary.port}/v1/messages"
    await outbound.check_url(url, policy)  # at save time the name looked public
    with pytest.raises(DeliveryFailed):
        await send_sms(url, policy)
    assert canary.connections == 0


async def test_s_sec_9_one_private_address_among_public_ones_refuses_the_name(canary: Canary) -> None:
    policy = OutboundPolicy(resolver=hosts({"mixed.example.test": [PUBLIC, "127.0.0.1"]}))
    with pytest.raises(OutboundRefused):
        await outbound.check_url(f"http://mixed.example.test:{canary.port}/", policy)
    assert canary.connections == 0


async def test_s_sec_9_the_connection_goes_to_the_address_that_was_checked(scripted_server: Scripted) -> None:
    """The name exists only in the injected table: the request can only arrive if the connection
    used the checked address rather than a second lookup, and it still names the host."""
    name = "gateway.example.test"
    lookups: list[str] = []

    async def once(host: str, port: int) -> Sequence[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    await send_sms(f"http://{name}:{scripted_server.port}/v1/messages", OutboundPolicy(True, once))
    [request] = scripted_server.requests
    assert request["Host"] == f"{name}:{scripted_server.port}"
    assert lookups == [name]


def test_s_sec_9_https_keeps_the_host_name_for_tls() -> None:
    target = outbound.parse_target("https://sms.example.com/v1")
    request = outbound.pinned_request(httpx.AsyncClient(), "POST", target, ipaddress.ip_address(PUBLIC))
    assert request.url.host == PUBLIC
    assert request.headers["Host"] == "sms.example.com"
    assert request.extensions["sni_hostname"] == "sms.example.com"


async def test_s_sec_9_a_redirect_to_loopback_is_not_followed(
    scripted_server: Scripted, canary: Canary
) -> None:
    """Even a sandbox that may reach loopback never follows a redirect, also with a client
    that was built to follow them."""
    scripted_server.answer = (302, {"Location": f"http://127.0.0.1:{canary.port}/latest/meta-data/"})
    policy = OutboundPolicy(True, hosts({"public-looking.example.test": ["127.0.0.1"]}))
    url = f"http://public-looking.example.test:{scripted_server.port}/v1/messages"
    with pytest.raises(DeliveryFailed) as failed:
        await send_sms(url, policy, httpx.AsyncClient(follow_redirects=True))
    assert failed.value.permanent
    assert len(scripted_server.requests) == 1
    assert canary.connections == 0


async def test_s_sec_9_carrier_requests_go_through_the_same_guard(canary: Canary) -> None:
    async with httpx.AsyncClient() as http:
        transport = HttpxTransport(http, STRICT)
        for host in ("127.0.0.1", LOOPBACK_NAME, "0x7f000001"):
            with pytest.raises(OutboundRefused):
                await transport(OutboundRequest("GET", f"http://{host}:{canary.port}/track/1"))
    assert canary.connections == 0


def test_s_sec_9_the_sandbox_setting_opens_private_addresses_but_not_other_schemes() -> None:
    url = "http://127.0.0.1:9/v1/messages"
    assert Settings(sms_gateway="http", sms_url=url, outbound_allow_private=True).sms_url == url
    with pytest.raises(ValidationError):
        Settings(sms_gateway="http", sms_url="file:///etc/passwd", outbound_allow_private=True)
    assert Settings().outbound_allow_private is False


async def test_s_sec_9_start_refuses_a_name_resolving_to_loopback_and_waits_for_one_not_resolving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(OutboundRefused) as refused:
        await outbound.check_configured({"sms_url": f"http://{LOOPBACK_NAME}/"}, STRICT)
    assert refused.value.field == "sms_url"
    with caplog.at_level(logging.WARNING):
        await outbound.check_configured({"sms_url": "http://not-yet.example.test/"}, STRICT)
    assert "does not resolve yet" in caplog.text


@pytest.mark.parametrize(
    "image_url",
    [
        "https://127.0.0.1/cup.png",
        "https://169.254.169.254/x.png",
        "https://0x7f000001/a.png",
        "//evil.example/a.png",
    ],
)
async def test_s_sec_9_a_product_image_url_naming_a_private_address_is_refused_on_save(
    client, login, image_url: str
) -> None:
    body = {"name": "保溫杯", "image_url": image_url, "variants": [{"sku": "CUP-SSRF", "price": "590"}]}
    answer = await client.post("/api/v1/products", json=body, headers=await login("owner"))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == ["/image_url"]
