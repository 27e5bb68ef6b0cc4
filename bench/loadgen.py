"""Open-loop (fixed arrival rate) and closed-loop (fixed concurrency) load, raw latencies kept."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.http import Connection
from bench.stats import Summary, summarize

RequestFactory = Callable[[int], bytes]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    bodies: list[bytes] = field(default_factory=list)

    def summary(self, status: int | None = None) -> Summary:
        return summarize(self.latencies, self.seconds)


def _endpoint(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def closed_loop(base_url: str, make: RequestFactory, *, concurrency: int, total: int,
                      keep_bodies: bool = False) -> Result:
    """`concurrency` clients each send their next request as soon as the last one answered."""
    host, port = _endpoint(base_url)
    result = Result()
    counter = iter(range(total))

    async def client() -> None:
        conn = Connection(host, port)
        for index in counter:
            raw = make(index)
            started = time.perf_counter()
            status, body = await conn.request(raw)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
            if keep_bodies:
                result.bodies.append(body)
        await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*[client() for _ in range(concurrency)])
    result.seconds = time.perf_counter() - began
    return result


async def open_loop(base_url: str, make: RequestFactory, *, rate: float, seconds: float,
                    max_connections: int = 256) -> Result:
    """Requests start on a fixed schedule whatever the answers do (no coordinated omission):
    latency is measured from the scheduled start."""
    host, port = _endpoint(base_url)
    result = Result()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(max_connections):
        idle.put_nowait(Connection(host, port))
    total = int(rate * seconds)
    began = time.perf_counter()

    async def one(index: int, due: float) -> None:
        conn = await idle.get()
        try:
            status, _ = await conn.request(make(index))
        finally:
            idle.put_nowait(conn)
        result.latencies.append(time.perf_counter() - due)
        result.statuses[status] += 1

    tasks = []
    for index in range(total):
        due = began + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - began
    return result
