"""Engines, sessions and the unit of work.

Writes go through `Database.write(fn, ...)`: one transaction, retried on a deadlock or a
serialization failure, with the events recorded during it written to the outbox before commit
and, when a staff member's request made it, its audit entry (platform/audit.py).
On SQLite writers take the lock at BEGIN (BEGIN IMMEDIATE) and are serialised in-process by an
asyncio lock, so "database is locked" never reaches a client; readers use a separate engine
with deferred transactions, which WAL lets run beside the writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

import orjson
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool

from dingdan.platform import fastread

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

P = ParamSpec("P")
T = TypeVar("T")
V = TypeVar("V", int, str)
RETRYABLE_SQLSTATES = {"40P01", "40001"}
MAX_ATTEMPTS = 5
DEFAULT_POOL_SIZE = 16  # connections kept; a burst opens half as many again


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


AfterCommitHook = Callable[[], None]


class Database:
    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.write_engine = _make_engine(url, immediate=True, pool_size=pool_size, echo=echo)
        self.read_engine = (
            _make_engine(url, immediate=False, pool_size=pool_size, echo=echo)
            if self.is_sqlite
            # Reads need no BEGIN/COMMIT under Read Committed: each statement has its own snapshot
            # either way, and the two round trips were a visible share of a tracking lookup.
            else self.write_engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.after_commit_hooks: list[AfterCommitHook] = []

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    async def write(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn(session, *args, **kwargs)` in one transaction, retrying on deadlocks."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self._write_once(fn, *args, **kwargs)
            except DBAPIError as exc:
                if attempt == MAX_ATTEMPTS or not _is_retryable(exc):
                    raise
                await asyncio.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    async def _write_once(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        from dingdan.platform import audit, events

        async with self._writer_slot(), self._write_sessions() as session, session.begin():
            audit.watch(session)
            result = await fn(session, *args, **kwargs)
            await audit.write_entry(session, session.info.get(events.PENDING_KEY, []))
            wrote_events = await events.flush_pending(session)
        if wrote_events:
            for hook in self.after_commit_hooks:
                hook()
        return result

    async def write_alone(self, statement: fastread.FastWrite, params: Mapping[str, Any]) -> int:
        """One write statement committed on its own; answers the rowcount. For a small write
        repeated per item (a notification's outcome, after each message sent): on PostgreSQL
        it runs on the driver in autocommit, one round trip and about 0.3 ms of CPU against
        about 1 ms for a session's transaction (the session, BEGIN, the statement, COMMIT)."""
        if self.is_sqlite:
            async with self._writer_slot(), self.write_engine.begin() as connection:
                return await statement.run(connection, params)
        async with self.write_engine.connect() as connection:  # no BEGIN: the driver autocommits
            return await statement.run(connection, params)

    @asynccontextmanager
    async def _writer_slot(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A read on a plain connection, for the hot read paths whose statements are all Core
        (no ORM entities): a third of the CPU of opening a session for it."""
        async with self.read_engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A read-only session whose statements all see one moment of the database (Repeatable
        Read on PostgreSQL; a read transaction is one snapshot on SQLite). For checks that compare
        several reads, which plain reads would show at different moments."""
        if self.is_sqlite:
            async with self.read() as session:
                yield session
            return
        engine = self.write_engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.is_sqlite:
            await self.read_engine.dispose()


def padded(values: Iterable[V]) -> list[V]:
    """Values for an `IN` list: sorted, without repeats, and padded to a power of two by
    repeating the last one. An `IN` of n parameters is a statement of its own, prepared again on
    every connection; padding keeps a handful of them instead of one per list length."""
    unique = sorted(set(values))
    if not unique:
        return unique
    size = 1 << (len(unique) - 1).bit_length()
    return unique + [unique[-1]] * (size - len(unique))


DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")
UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}  # shut down, starting, too many clients
UNREACHABLE_SQLITE_TEXT = "unable to open database file"


def is_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (down, refusing, connection lost, pool
    exhausted), as opposed to a statement it refused. A bare OSError counts only when it was
    raised inside the database driver."""
    if isinstance(exc, SATimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or _unreachable_cause(exc.orig)
    return isinstance(exc, OSError) and _raised_in_driver(exc)


def _unreachable_cause(orig: BaseException | None) -> bool:
    if orig is None:
        return False
    if isinstance(orig, OSError) or _is_connection_error_of_asyncpg(orig):
        return True
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in UNREACHABLE_SQLSTATES or UNREACHABLE_SQLITE_TEXT in str(orig)


def _is_connection_error_of_asyncpg(orig: BaseException) -> bool:
    try:
        from asyncpg import exceptions as pg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return False
    lost = (pg.PostgresConnectionError, pg.ConnectionDoesNotExistError, pg.CannotConnectNowError)
    return isinstance(orig, lost) or _asyncpg_cause(orig, lost)


def _asyncpg_cause(orig: BaseException, lost: tuple[type[BaseException], ...]) -> bool:
    """SQLAlchemy's asyncpg adapter wraps the driver's error; the original is its cause."""
    return isinstance(orig.__cause__, (*lost, OSError))


def _raised_in_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def _is_retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in RETRYABLE_SQLSTATES


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# orjson for JSON columns: the standard encoder was a visible share of placing an order.
JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def _make_engine(url: str, *, immediate: bool, pool_size: int, echo: bool) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            **JSON_CODEC,
            poolclass=NullPool if ":memory:" in url else None,
            connect_args={"timeout": 30},
        )
        _configure_sqlite(engine, immediate=immediate)
        return engine
    return create_async_engine(
        # Overflow connections are closed on return, and each new one prepares its statements
        # again: a pool that holds what a busy process uses keeps both off the hot path.
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        pool_pre_ping=False,
        connect_args={"prepared_statement_cache_size": 1000},
        **JSON_CODEC,
    )


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=30000",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class StatementCounter:
    """Counts the SQL statements an engine runs (BEGIN excluded): for statement budgets."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            self.statements.append(statement)

    def _on_fast_read(self, statement: str) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        if self.engine.dialect.name == "postgresql":  # reads run on the driver directly there
            fastread.listeners.append(self._on_fast_read)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        if self._on_fast_read in fastread.listeners:
            fastread.listeners.remove(self._on_fast_read)

    @property
    def count(self) -> int:
        return len(self.statements)
