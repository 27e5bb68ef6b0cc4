"""The shop the reliability tests drive, on SQLite and on PostgreSQL (see reliability.shop)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reliability.shop import Shop
from shipping.conftest import carriers  # noqa: F401 (a fixture, for the regression tests)


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    opened = Shop(db_url).open()
    opened.run(opened.reset())
    yield opened
    opened.close()
