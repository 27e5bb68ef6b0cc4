"""Reading the outbox of a running installation from outside: which events are still to be
handed on, and which (event, handler) pairs are still to be handled."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from dingdan.main import build_all_subscribers


def sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg2")


def wait_for_outbox(url: str, seconds: float = 400) -> bool:
    """Whether every event of the outbox was handed on within `seconds`."""
    engine = create_engine(sync_url(url))
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if not conn.execute(
                    text("SELECT count(*) FROM platform_event WHERE delivered_at IS NULL")
                ).scalar():
                    return True
            time.sleep(0.5)
        return False
    finally:
        engine.dispose()


class Ledger:
    """Which events still wait for a handler (every handler a worker runs)."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(sync_url(database_url))
        self.subscribers = build_all_subscribers(live=None)  # what `dingdan worker` runs

    def scalar(self, sql: str, **params: object) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())

    def expected(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            topics = conn.execute(text("SELECT DISTINCT topic FROM platform_event")).scalars().all()
        return [(topic, name) for topic in topics for name, _ in self.subscribers.for_topic(topic)]

    def waiting(self, up_to_id: int | None = None) -> int:
        """(event, handler) pairs not yet handled; events up to `up_to_id` when given."""
        pairs = self.expected()
        if not pairs:
            return 0
        values = ", ".join(f"(:t{n}, :h{n})" for n in range(len(pairs)))
        params: dict[str, object] = {f"t{n}": t for n, (t, _) in enumerate(pairs)}
        params |= {f"h{n}": h for n, (_, h) in enumerate(pairs)}
        params["up_to"] = up_to_id if up_to_id is not None else 2**62
        return self.scalar(
            f"SELECT count(*) FROM platform_event e JOIN (VALUES {values}) AS s(topic, handler) "
            "ON s.topic = e.topic WHERE e.id <= :up_to AND NOT EXISTS (SELECT 1 FROM "
            "platform_event_handled h WHERE h.handler = s.handler AND h.event_id = e.id)",
            **params,
        ) + self.scalar(
            "SELECT count(*) FROM platform_event WHERE delivered_at IS NULL AND id <= :up_to",
            up_to=params["up_to"],
        )

    def wait_until_handled(self, seconds: float) -> float | None:
        """Seconds until every pair was handled, or None when some still wait after `seconds`."""
        started = time.monotonic()
        while self.waiting():
            if time.monotonic() - started > seconds:
                return None
            time.sleep(0.5)
        return time.monotonic() - started

    def handled_pairs(self) -> int:
        return self.scalar("SELECT count(*) FROM platform_event_handled")

    def close(self) -> None:
        self.engine.dispose()
