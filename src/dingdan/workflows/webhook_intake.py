"""Recording webhook deliveries: the deliveries that arrive together are recorded in one short
transaction (group commit, as orders are placed: docs/decisions/0004 and 0007), so a burst of
provider calls costs a few transactions and database connections instead of one each."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.platform.batching import GroupCommit
from dingdan.platform.db import Database

Accept = Callable[[AsyncSession], Awaitable[bool]]
"""Records one delivery in the session; False when it was received before (a replay)."""

MAX_BATCH = 100

_groups: weakref.WeakKeyDictionary[Database, GroupCommit[Accept, bool]] = weakref.WeakKeyDictionary()


async def record_delivery(db: Database, accept: Accept) -> bool:
    """Run `accept` in the next intake transaction; True once it is committed, False for a replay."""
    return await _group_for(db).submit(accept)


def _group_for(db: Database) -> GroupCommit[Accept, bool]:
    group = _groups.get(db)
    if group is None:

        async def run(batch: list[Accept]) -> list[bool | BaseException]:
            return await _record_group(db, batch)

        # One batch in flight: a second one could take the same ids in the other order.
        group = _groups[db] = GroupCommit(run, max_batch=MAX_BATCH, max_in_flight=1)
    return group


async def _record_group(db: Database, batch: list[Accept]) -> list[bool | BaseException]:
    try:
        return list(await db.write(_accept_all, batch))
    except Exception as exc:
        if len(batch) == 1:
            return [exc]
    # One delivery the database refused: one by one, so that only it meets the error.
    return [(await _record_group(db, [accept]))[0] for accept in batch]


async def _accept_all(session: AsyncSession, batch: list[Accept]) -> list[bool]:
    return [await accept(session) for accept in batch]
