"""A shop history with cancellations, refunds, parcels and late events, its events delivered."""

from __future__ import annotations

import random
from typing import Any

import pytest

from factories.reports import History, fulfil_some, late_changes, make_products, place_history


@pytest.fixture
async def history(client: Any, db: Any) -> History:
    await make_products(db)
    placed = await place_history(db)
    await client.app.state.relay.drain()
    rng = random.Random(5)
    await fulfil_some(db, placed, rng)  # delivered together with what follows: out of order
    await late_changes(db, placed, rng)
    await client.app.state.relay.drain()
    return placed


@pytest.fixture
async def analyst(login: Any) -> dict[str, str]:
    return dict(await login("analyst"))
