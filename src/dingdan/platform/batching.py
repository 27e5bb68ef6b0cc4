"""Group commit: requests that arrive while a batch is being written wait and go together in
the next one, so a busy process writes many orders per transaction and a quiet one writes
each at once (no timer, no added latency when alone)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """`await group.submit(item)` answers with what `run` gave for that item: `run` takes a
    list of items and returns one result or exception per item, in order."""

    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        max_batch: int = 64,
        max_in_flight: int = 1,
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._in_flight: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._start_batches()
        return await future

    def _start_batches(self) -> None:
        while self._waiting and len(self._in_flight) < self._max_in_flight:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            task = asyncio.create_task(self._write(batch))
            self._in_flight.add(task)

    async def _write(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        outcomes: Sequence[R | BaseException] = ()
        try:
            outcomes = await self._run([item for item, _ in batch])
        except Exception as exc:  # the whole batch failed: every waiter learns why
            outcomes = [exc] * len(batch)
        finally:
            self._in_flight.discard(asyncio.current_task())
            self._settle(batch, outcomes)
            self._start_batches()

    @staticmethod
    def _settle(batch: list[tuple[T, asyncio.Future[R]]], outcomes: Sequence[R | BaseException]) -> None:
        if len(outcomes) != len(batch):  # cancelled at shutdown
            outcomes = [asyncio.CancelledError()] * len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away; its order stands and a retry finds it
                continue
            if isinstance(outcome, asyncio.CancelledError):
                future.cancel()
            elif isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
