"""Rate limits on logins and public lookups (in-process sliding windows)."""

from __future__ import annotations

import time
from collections import deque

from fastapi import Request

from dingdan.platform.errors import DomainError


class TooManyRequests(DomainError):
    code = "too-many-requests"
    status = 429
    title = "Too many requests"


class SlidingWindow:
    """At most `limit` events per `seconds` per key."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._events: dict[str, deque[float]] = {}

    def _window(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        cutoff = time.monotonic() - self.seconds
        while events and events[0] < cutoff:
            events.popleft()
        return events

    def retry_after(self, key: str) -> int:
        events = self._window(key)
        if len(events) < self.limit:
            return 0
        return max(1, int(events[0] + self.seconds - time.monotonic()) + 1)

    def hit(self, key: str) -> None:
        self._window(key).append(time.monotonic())

    def reset(self) -> None:
        self._events.clear()


class LoginLimiter:
    """10 failed logins per account per 15 minutes, 30 per client address."""

    def __init__(self) -> None:
        self.per_account = SlidingWindow(10, 900)
        self.per_client = SlidingWindow(30, 900)

    def check(self, request: Request, account: str) -> None:
        client = request.client.host if request.client else "unknown"
        wait = max(self.per_account.retry_after(account), self.per_client.retry_after(client))
        if wait:
            raise TooManyRequests(
                "too many failed logins; try again later", field="username", retry_after=wait
            )

    def failed(self, request: Request, account: str) -> None:
        self.per_account.hit(account)
        self.per_client.hit(request.client.host if request.client else "unknown")


login_limiter = LoginLimiter()
