"""Rate limits on logins, one-time codes and public lookups: sliding windows per key.

With DINGDAN_REDIS_URL the counters live in Redis, so every process counts against the same
limit; one Lua script checks all windows of an attempt and records it atomically, on Redis's
clock. Without Redis (one process, `make run`) they live in the process. If Redis stops
answering, a process falls back to its own counters until it answers again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from dingdan.platform.errors import DomainError
from dingdan.platform.settings import Settings
from dingdan.web.origin import client_address

log = logging.getLogger(__name__)
REDIS_RETRY_SECONDS = 5.0


class TooManyRequests(DomainError):
    code = "too-many-requests"
    status = 429
    title = "Too many requests"


@dataclass(frozen=True)
class Window:
    name: str
    limit: int
    seconds: int


LOGIN_PER_ACCOUNT = Window("login-account", 10, 900)
LOGIN_PER_CLIENT = Window("login-client", 30, 900)
CODES = Window("codes", 5, 900)  # one-time codes asked for, per account and per client
LOOKUP_PER_CLIENT = Window("lookup-client", 60, 60)
# 10 per order or tracking number an hour, so the 10,000 phone suffixes of one order cannot be tried
LOOKUP_PER_QUERY = Window("lookup-query", 10, 3600)

Checks = Sequence[tuple[Window, str]]


class Counters(Protocol):
    async def run(self, checks: Checks, *, enforce: bool, record: bool) -> int:
        """Seconds to wait if `enforce` and a window is full (nothing recorded then), else 0
        after recording one attempt in every window if `record`."""
        ...


class SlidingWindow:
    """At most `limit` events per `seconds` per key, in this process."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._events: dict[str, deque[float]] = {}

    def _pruned(self, key: str) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        cutoff = time.monotonic() - self.seconds
        while events and events[0] < cutoff:
            events.popleft()
        if not events:
            del self._events[key]  # idle keys do not pile up
            return None
        return events

    def retry_after(self, key: str) -> int:
        events = self._pruned(key)
        if events is None or len(events) < self.limit:
            return 0
        return max(1, int(events[0] + self.seconds - time.monotonic()) + 1)

    def hit(self, key: str) -> None:
        events = self._pruned(key)
        if events is None:
            events = self._events[key] = deque()
        events.append(time.monotonic())


class LocalCounters:
    def __init__(self) -> None:
        self._windows: dict[Window, SlidingWindow] = {}

    def _of(self, window: Window) -> SlidingWindow:
        return self._windows.setdefault(window, SlidingWindow(window.limit, window.seconds))

    async def run(self, checks: Checks, *, enforce: bool, record: bool) -> int:
        if enforce:
            wait = max(self._of(window).retry_after(key) for window, key in checks)
            if wait:
                return wait
        if record:
            for window, key in checks:
                self._of(window).hit(key)
        return 0


# KEYS: one sorted set per window; ARGV: enforce, record, a unique member, then per key its
# window in ms and its limit. Scores are Redis's own clock, so processes need not agree on time.
_SLIDING_WINDOWS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local span = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  if ARGV[1] == '1' and redis.call('ZCARD', key) >= tonumber(ARGV[3 + 2 * i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, math.ceil((tonumber(oldest[2]) + span - now) / 1000), 1)
  end
end
if wait > 0 then return wait end
if ARGV[2] == '1' then
  for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, ARGV[3] .. ':' .. now)
    redis.call('PEXPIRE', key, tonumber(ARGV[2 + 2 * i]))
  end
end
return 0
"""


class RedisCounters:
    def __init__(self, url: str, prefix: str) -> None:
        self.redis = aioredis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.prefix = prefix
        self._script = self.redis.register_script(_SLIDING_WINDOWS)
        self._fallback = LocalCounters()
        self._retry_redis_at = 0.0

    async def run(self, checks: Checks, *, enforce: bool, record: bool) -> int:
        if time.monotonic() < self._retry_redis_at:  # Redis failed just now: no wait per request
            return await self._fallback.run(checks, enforce=enforce, record=record)
        keys = [f"{self.prefix}ratelimit:{window.name}:{key}" for window, key in checks]
        args: list[str | int] = [int(enforce), int(record), uuid.uuid4().hex]
        for window, _ in checks:
            args += [window.seconds * 1000, window.limit]
        try:
            return int(await self._script(keys=keys, args=args))
        except (RedisError, OSError):
            log.warning("rate limits: Redis is not answering; counting in this process", exc_info=True)
            self._retry_redis_at = time.monotonic() + REDIS_RETRY_SECONDS
            return await self._fallback.run(checks, enforce=enforce, record=record)

    async def close(self) -> None:
        await self.redis.aclose()


class RateLimits:
    """The limits the routes apply, over local or shared counters."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    async def _refuse_if_full(self, checks: Checks, message: str, field: str | None, record: bool) -> None:
        wait = await self.counters.run(checks, enforce=True, record=record)
        if wait:
            raise TooManyRequests(message, field=field, retry_after=wait)

    async def check_login(self, request: Request, account: str) -> None:
        """10 failed logins per account per 15 minutes, 30 per client address."""
        checks = [(LOGIN_PER_ACCOUNT, account), (LOGIN_PER_CLIENT, client_address(request))]
        await self._refuse_if_full(checks, "too many failed logins; try again later", "username", False)

    async def login_failed(self, request: Request, account: str) -> None:
        checks = [(LOGIN_PER_ACCOUNT, account), (LOGIN_PER_CLIENT, client_address(request))]
        await self.counters.run(checks, enforce=False, record=True)

    async def code_requested(self, request: Request, key: str) -> None:
        checks = [(CODES, key), (CODES, f"client:{client_address(request)}")]
        await self._refuse_if_full(checks, "too many codes asked for; try again later", "username", True)

    async def lookup(self, request: Request, query: str) -> None:
        """60 lookups a minute per client address, and 10 per order or tracking number an hour,
        known or not."""
        checks = [(LOOKUP_PER_CLIENT, client_address(request)), (LOOKUP_PER_QUERY, query)]
        await self._refuse_if_full(checks, "too many lookups; try again later", None, True)


def build_rate_limits(settings: Settings) -> tuple[RateLimits, RedisCounters | None]:
    if not settings.redis_url:
        return RateLimits(LocalCounters()), None
    shared = RedisCounters(settings.redis_url, settings.redis_key_prefix)
    return RateLimits(shared), shared


def rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits
