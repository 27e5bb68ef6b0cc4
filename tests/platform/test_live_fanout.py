"""Live console updates cross processes through Redis: what one process publishes, another's
listeners receive."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from dingdan.platform.fanout import RedisFanout
from dingdan.web.live import InProcessFeed


def reachable(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def test_a_message_published_in_one_process_reaches_listeners_of_another():
    if not reachable(6379):
        pytest.skip("Redis not running")
    channel = f"dingdan:test:{uuid.uuid4().hex}"
    worker_side = RedisFanout("redis://127.0.0.1:6379/0", channel)
    api_side = RedisFanout("redis://127.0.0.1:6379/0", channel)
    feed = InProcessFeed()
    api_side.start_forwarding(feed.publish)
    try:
        async with feed.subscribe() as queue:
            await asyncio.sleep(0.3)  # the subscription is in place
            await worker_side.publish({"topic": "order.placed", "number": "261125-ABCDEFGH"})
            message = await asyncio.wait_for(queue.get(), timeout=2)
        assert message == {"topic": "order.placed", "number": "261125-ABCDEFGH"}
    finally:
        await api_side.close()
        await worker_side.close()
