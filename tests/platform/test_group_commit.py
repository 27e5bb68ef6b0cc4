"""Group commit: requests arriving while a batch is written go together in the next one."""

from __future__ import annotations

import asyncio

import pytest

from dingdan.platform.batching import GroupCommit


class Recorder:
    """A batch writer that takes a while, remembers its batches and refuses odd items."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()

    async def run(self, batch: list[int]) -> list[int | BaseException]:
        self.batches.append(batch)
        await self.release.wait()
        return [ValueError(f"odd {n}") if n % 2 else n * 10 for n in batch]


async def test_a_lone_request_is_written_at_once():
    recorder = Recorder()
    recorder.release.set()
    group = GroupCommit(recorder.run)
    assert await group.submit(4) == 40
    assert recorder.batches == [[4]]


async def test_requests_arriving_during_a_write_share_the_next_one():
    recorder = Recorder()
    group = GroupCommit(recorder.run, max_batch=3)
    first = asyncio.ensure_future(group.submit(2))
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(group.submit(n)) for n in (4, 6, 8, 10)]
    await asyncio.sleep(0)
    recorder.release.set()
    assert await first == 20
    assert [await f for f in later] == [40, 60, 80, 100]
    assert recorder.batches == [[2], [4, 6, 8], [10]]


async def test_a_refused_item_fails_alone():
    recorder = Recorder()
    group = GroupCommit(recorder.run)
    blocker = asyncio.ensure_future(group.submit(0))
    await asyncio.sleep(0)
    futures = [asyncio.ensure_future(group.submit(n)) for n in (2, 3, 4)]
    recorder.release.set()
    await blocker
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == 20 and results[2] == 40
    assert isinstance(results[1], ValueError) and str(results[1]) == "odd 3"


async def test_a_failed_batch_reaches_every_waiter_and_the_next_batch_still_runs():
    calls = []

    async def flaky(batch: list[int]) -> list[int | BaseException]:
        calls.append(batch)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return batch

    group = GroupCommit(flaky)
    with pytest.raises(RuntimeError, match="went away"):
        await group.submit(1)
    assert await group.submit(2) == 2


async def test_a_caller_that_goes_away_does_not_disturb_the_others():
    recorder = Recorder()
    group = GroupCommit(recorder.run)
    blocker = asyncio.ensure_future(group.submit(0))
    await asyncio.sleep(0)
    leaving = asyncio.ensure_future(group.submit(2))
    staying = asyncio.ensure_future(group.submit(4))
    await asyncio.sleep(0)
    leaving.cancel()
    recorder.release.set()
    await blocker
    assert await staying == 40
    assert recorder.batches[1] == [2, 4]  # the leaver's item was still written
