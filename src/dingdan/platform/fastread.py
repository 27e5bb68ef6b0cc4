"""Reads (and single writes) on the hottest paths, run on PostgreSQL's driver directly.

Executing a statement through SQLAlchemy's async session costs about 0.3–1 ms of CPU (the
session, the greenlet hop, compiling the parameters, building the result); the driver's own
work is about 0.1 ms. A public tracking lookup or a page of "my orders" is a few such reads,
so that overhead was most of what they cost. A `FastRead` wraps a statement built once: on
PostgreSQL it is compiled once to the driver's SQL and then run on the session's pooled
asyncpg connection, its rows converted by the columns' own types (money, UTC times). On SQLite,
or for a statement this cannot run, it is an ordinary `session.execute`.

A `FastWrite` does the same for a write statement repeated per item (a notification's outcome,
once per message sent) and answers the number of rows it changed.

Only plain column types are accepted (the ones asyncpg already returns as SQLAlchemy would:
integers, text, booleans, times, numerics, JSON, which the engine's codec decodes) plus our own
`TypeDecorator`s; anything else is refused when the statement is first compiled, so a new
column type cannot silently come back different.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeDecorator, TypeEngine

PLAIN_TYPES = (Integer, String, Boolean, DateTime, Date, Numeric, JSON)
Convert = Callable[[Any], Any] | None
Reader = AsyncSession | AsyncConnection

# Statement counters (tests' statement budgets) see what runs here too.
listeners: list[Callable[[str], None]] = []


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]
    binders: dict[str, Convert]
    keys: tuple[str, ...]
    converters: tuple[Convert, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        found = []
        for name in self.names:
            if name in self.fixed:
                found.append(self.fixed[name])
                continue
            value, bind = params[name], self.binders[name]
            found.append(bind(value) if bind is not None and value is not None else value)
        return found

    def row(self, record: Any) -> dict[str, Any]:
        return {
            key: convert(value) if convert is not None and value is not None else value
            for key, convert, value in zip(self.keys, self.converters, record, strict=True)
        }


class FastRead:
    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    async def rows(self, reader: Reader, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The statement's rows as dicts keyed like `.mappings()` would key them."""
        connection = await reader.connection() if isinstance(reader, AsyncSession) else reader
        if connection.dialect.name != "postgresql":
            result = await reader.execute(self.statement, dict(params or {}))
            return [dict(row) for row in result.mappings()]
        compiled = self._compiled or self._compile(connection.dialect)
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        for listener in listeners:
            listener(compiled.sql)
        records = await driver.fetch(compiled.sql, *compiled.arguments(params or {}))
        return [compiled.row(record) for record in records]

    def _compile(self, dialect: Dialect) -> _Compiled:
        columns = list(self.statement.selected_columns)
        self._compiled = _compile(
            self.statement,
            dialect,
            keys=tuple(self.statement.selected_columns.keys()),
            converters=tuple(_converter(column.type, dialect) for column in columns),
        )
        return self._compiled


class FastWrite:
    """An UPDATE, INSERT or DELETE without RETURNING, built once; `run` answers the rowcount."""

    def __init__(self, statement: UpdateBase) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    async def run(self, connection: AsyncConnection, params: Mapping[str, Any]) -> int:
        if connection.dialect.name != "postgresql":
            result = await connection.execute(self.statement, dict(params))
            return int(result.rowcount)
        compiled = self._compiled = self._compiled or _compile(self.statement, connection.dialect)
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        for listener in listeners:
            listener(compiled.sql)
        status: str = await driver.execute(compiled.sql, *compiled.arguments(params))
        return int(status.rsplit(" ", 1)[-1])  # "UPDATE 1", "INSERT 0 1", "DELETE 3"


def _compile(
    statement: ClauseElement,
    dialect: Dialect,
    keys: tuple[str, ...] = (),
    converters: tuple[Convert, ...] = (),
) -> _Compiled:
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    given = [name for name, bind in compiled.binds.items() if bind.required]
    expanded = compiled.construct_expanded_state(dict.fromkeys(given))
    return _Compiled(
        sql=expanded.statement,
        names=tuple(expanded.positiontup or ()),
        fixed={
            k: _bound(compiled.binds, k, v, dialect) for k, v in expanded.parameters.items() if k not in given
        },
        binders={name: bind_converter(compiled.binds[name].type, dialect) for name in given},
        keys=keys,
        converters=converters,
    )


def bind_converter(type_: TypeEngine[Any], dialect: Dialect) -> Convert:
    if isinstance(type_, TypeDecorator) and _overrides(type_, "process_bind_param"):
        return lambda value: type_.process_bind_param(value, dialect)
    return None


def _bound(binds: Mapping[str, Any], name: str, value: Any, dialect: Dialect) -> Any:
    """A value written into the statement itself (a literal, or one of an IN list's values)."""
    base = binds.get(name)
    if base is None:  # one value of an IN list: "status_1_2" of "status_1"
        base = binds.get(name.rsplit("_", 1)[0])
    convert = bind_converter(base.type, dialect) if base is not None else None
    return convert(value) if convert is not None and value is not None else value


def _converter(type_: TypeEngine[Any], dialect: Dialect) -> Convert:
    if isinstance(type_, TypeDecorator) and _overrides(type_, "process_result_value"):
        return lambda value: type_.process_result_value(value, dialect)
    if isinstance(type_, Numeric) and not type_.asdecimal:
        return float
    if isinstance(type_, PLAIN_TYPES) and not isinstance(type_, TypeDecorator):
        return None
    raise TypeError(f"FastRead does not convert {type_!r}: read it through session.execute")


def _overrides(type_: TypeDecorator[Any], method: str) -> bool:
    """Whether the decorator converts values itself (some, like Interval, leave it to the impl)."""
    return getattr(type(type_), method) is not getattr(TypeDecorator, method)
