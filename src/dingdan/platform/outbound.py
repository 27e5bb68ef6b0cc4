"""Outbound HTTP to an address someone configured (an SMS gateway, a carrier), guarded against SSRF.

A URL is checked when it is saved or when the process starts (`check_url`), and again on every
send (`send`): the name is resolved afresh, every address it resolves to must be public, and the
connection goes to the address that was checked, so a name that changes its answer between the
check and the connection (DNS rebinding) reaches nothing. Redirects are never followed.

Public means globally routable unicast: loopback, private, link-local (cloud metadata at
169.254.169.254), unique-local, unspecified, shared, multicast, reserved and documentation
ranges are refused, also when wrapped in an IPv6 address (::ffff:127.0.0.1, 2002:7f00:1::).
Hosts written as a bare number (2130706433), in octal or hex (0177.0.0.1, 0x7f000001) or
shortened (127.1) are refused before any lookup, since resolvers read them in different ways.
`allow_private=True` (the `DINGDAN_OUTBOUND_ALLOW_PRIVATE` setting) lifts the address rules, for
development sandboxes only; schemes, encodings and redirects stay refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from dingdan.platform.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
_HOSTNAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
log = logging.getLogger(__name__)


class OutboundRefused(InvalidInput, ValueError):
    """A rule refused the URL; a ValueError too, so field validators report it on their field."""

    code = "outbound-url-refused"
    title = "Outbound address refused"


class OutboundUnreachable(InvalidInput):
    """The name does not resolve now; it may later (a transient failure)."""

    code = "outbound-url-unresolved"
    title = "Outbound address does not resolve"


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private: bool = False
    resolver: Resolver = field(default=system_resolver, compare=False)


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    host: str
    port: int
    address: IPAddress | None  # set when the URL names an address rather than a host name


def parse_target(url: str, *, allow_private: bool = False, field: str = "url") -> Target:
    """The URL's scheme, host and port, refused on any rule that needs no lookup."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise OutboundRefused("not a valid URL: {exc}", params={"exc": exc}, field=field) from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise OutboundRefused(
            "only http and https are allowed, not {scheme!r}",
            params={"scheme": parsed.scheme or "none"},
            field=field,
        )
    host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    address = _literal_address(host, field)
    if address is None and not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise OutboundRefused("{host!r} is this machine", params={"host": host}, field=field)
    if address is not None and not allow_private:
        _refuse_unless_public(address, field)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return Target(parsed, host, port, address)


def _literal_address(host: str, field: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not _HOSTNAME.fullmatch(host):
        raise OutboundRefused("not a valid host name: {host!r}", params={"host": host}, field=field)
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        raise OutboundRefused(
            "{host!r} is an address in an ambiguous form; write it as a.b.c.d",
            params={"host": host},
            field=field,
        )
    return None


def refusal(address: IPAddress) -> str | None:
    """Why `address` may not be reached from here, or None when it is public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded)
    if address.is_multicast:
        return "a multicast address"
    if address.is_loopback or address.is_unspecified:
        return "this machine"
    if address.is_link_local:
        return "a link-local address"
    if not address.is_global or address.is_reserved:
        return "not a public address"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _refuse_unless_public(address: IPAddress, field: str) -> None:
    reason = refusal(address)
    if reason is not None:
        raise OutboundRefused(
            "{address} is {reason}", params={"address": address, "reason": reason}, field=field
        )


def check_literal(url: str, *, allow_private: bool = False, field: str = "url") -> str:
    """`url` if it passes every rule that needs no DNS lookup (for validators), else raises."""
    parse_target(url, allow_private=allow_private, field=field)
    return url


async def resolve_target(url: str, policy: OutboundPolicy, *, field: str = "url") -> tuple[Target, IPAddress]:
    """The target and the one address to connect to; every address the name has must be allowed."""
    target = parse_target(url, allow_private=policy.allow_private, field=field)
    if target.address is not None:
        return target, target.address
    try:
        answers = await policy.resolver(target.host, target.port)
    except OSError as exc:
        raise OutboundUnreachable(
            "cannot resolve {host!r}: {exc}", params={"host": target.host, "exc": exc}, field=field
        ) from exc
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
    if not addresses:
        raise OutboundUnreachable("{host!r} has no address", params={"host": target.host}, field=field)
    if not policy.allow_private:
        for address in addresses:
            _refuse_unless_public(address, field)
    return target, addresses[0]


async def check_url(url: str, policy: OutboundPolicy, *, field: str = "url") -> None:
    """Refuse `url` at save or start time: syntax, scheme, encoding and the addresses it resolves to."""
    await resolve_target(url, policy, field=field)


def pinned_request(
    client: httpx.AsyncClient,
    method: str,
    target: Target,
    address: IPAddress,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    timeout: float | None = None,
) -> httpx.Request:
    """A request to `address` itself, carrying the original host in `Host` and in TLS SNI."""
    pinned_headers = {**(headers or {}), "Host": target.url.netloc.decode("ascii")}
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    url = target.url.copy_with(host=str(address))
    if timeout is None:
        return client.build_request(
            method, url, headers=pinned_headers, content=content, extensions=extensions
        )
    return client.build_request(
        method, url, headers=pinned_headers, content=content, extensions=extensions, timeout=timeout
    )


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    policy: OutboundPolicy,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    timeout: float | None = None,
    field: str = "url",
) -> httpx.Response:
    """Resolve, check and pin `url`, then send once; a 3xx answer is returned, never followed."""
    target, address = await resolve_target(url, policy, field=field)
    request = pinned_request(
        client, method, target, address, headers=headers, content=content, timeout=timeout
    )
    return await client.send(request, follow_redirects=False)


async def check_configured(urls: Mapping[str, str], policy: OutboundPolicy) -> None:
    """At start: raise on a configured URL the rules refuse; only log one that does not resolve yet
    (DNS may be late at boot, and every send checks again)."""
    for name, url in urls.items():
        try:
            await check_url(url, policy, field=name)
        except OutboundUnreachable as exc:
            log.warning("outbound URL %s does not resolve yet: %s", name, exc.detail)
