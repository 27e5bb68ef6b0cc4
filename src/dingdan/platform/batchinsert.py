"""The rows of a batch in one INSERT statement on PostgreSQL.

An executemany of an INSERT sends one bind and one execution per row, and PostgreSQL runs each
as a statement of its own: for a batch of thirty orders, about a hundred executions of the line
insert, a hundred of the stock ledger's and thirty of the outbox's. A `BatchInsert` sends each
column as one array and lets `unnest` turn the arrays back into rows: one execution whatever
the number of rows, and the same statement text for any batch size (prepared once per
connection).

Values go through the columns' own bind conversions (money, UTC times); JSON travels as text
and is cast; a column the rows leave out gets its Python-side default. The statement runs on
the session's connection with `exec_driver_sql`: it is part of the session's transaction, its
errors are SQLAlchemy's and the statement counters see it. On SQLite (no arrays, and the
database in the process, where an executemany is cheap) it is an ordinary executemany.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, Integer, Numeric, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import Column

from dingdan.platform.db import JSON_CODEC
from dingdan.platform.fastread import Convert, bind_converter

_serialize_json = JSON_CODEC["json_serializer"]


@dataclass(frozen=True)
class _Plan:
    sql: str
    columns: tuple[str, ...]
    defaults: dict[str, Any]  # column name: SQLAlchemy's default, evaluated per batch
    converters: tuple[Convert, ...]
    converts_none: tuple[bool, ...]

    def arrays(self, rows: Sequence[Mapping[str, Any]]) -> tuple[list[Any], ...]:
        arrays: tuple[list[Any], ...] = tuple([] for _ in self.columns)
        steps = list(zip(arrays, self.columns, self.converters, self.converts_none, strict=True))
        defaults = {name: _default_value(default) for name, default in self.defaults.items()}
        for row in rows:
            for array, name, convert, converts_none in steps:
                value = row[name] if name in row else defaults[name]
                if convert is not None and (value is not None or converts_none):
                    value = convert(value)
                array.append(value)
        return arrays


class BatchInsert:
    """`await BatchInsert(table).run(session, rows)` inserts the rows (dicts keyed by column
    name, all with the same keys) and answers with the `returning` columns of each inserted
    row. With `skip_conflicts`, a row that would break a unique constraint is left out. With
    `add_on_conflict` (the columns of a unique key), a row whose key exists adds its other
    columns to the stored row's: for counter tables (rollups), every other column a number;
    a key must not repeat within one run."""

    def __init__(
        self,
        table: Table,
        *,
        returning: Sequence[str] = (),
        skip_conflicts: bool = False,
        add_on_conflict: Sequence[str] = (),
    ) -> None:
        self.table = table
        self.returning = tuple(returning)
        self.skip_conflicts = skip_conflicts
        self.add_on_conflict = tuple(add_on_conflict)
        if add_on_conflict and not all(_is_number(c) for c in table.columns if c.name not in add_on_conflict):
            raise TypeError(f"{table.name}: add_on_conflict adds every other column, so all must be numbers")
        self._executemany = self._build_executemany()  # built once, like every placement statement
        self._plans: dict[tuple[str, ...], _Plan] = {}

    async def run(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        if not rows:
            return []
        connection = await session.connection()
        if connection.dialect.name != "postgresql":
            result = await session.execute(self._executemany, list(rows))
        else:
            keys = tuple(rows[0])
            plan = self._plans.get(keys) or self._plan(keys, connection.dialect)
            result = await connection.exec_driver_sql(plan.sql, plan.arrays(rows))
        return list(result.all()) if self.returning else []

    def _build_executemany(self) -> Any:
        statement = sqlite.insert(self.table)
        if self.skip_conflicts:
            statement = statement.on_conflict_do_nothing()
        if self.add_on_conflict:
            added = [c.name for c in self.table.columns if c.name not in self.add_on_conflict]
            statement = statement.on_conflict_do_update(
                index_elements=list(self.add_on_conflict),
                set_={name: self.table.c[name] + statement.excluded[name] for name in added},
            )
        if self.returning:
            return statement.returning(*(self.table.c[name] for name in self.returning))
        return statement

    def _plan(self, keys: tuple[str, ...], dialect: Dialect) -> _Plan:
        quote = dialect.identifier_preparer.quote
        given = [self.table.c[key] for key in keys]
        defaulted = [c for c in self.table.columns if c.name not in keys and _has_python_default(c)]
        columns = [*given, *defaulted]
        names = ", ".join(quote(c.name) for c in columns)
        arrays = ", ".join(f"${n}::{_array_type(c, dialect)}" for n, c in enumerate(columns, start=1))
        values = ", ".join(_selected(c, dialect) for c in columns)
        # Every name is the table's own, quoted; the values travel as parameters.
        sql = f"INSERT INTO {quote(self.table.name)} ({names}) SELECT {values} FROM unnest({arrays}) AS u({names})"  # noqa: S608, E501
        if self.skip_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if self.add_on_conflict:
            table = quote(self.table.name)
            key = ", ".join(quote(name) for name in self.add_on_conflict)
            added = [quote(c.name) for c in columns if c.name not in self.add_on_conflict]
            sql += f" ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(
                f"{name} = {table}.{name} + EXCLUDED.{name}" for name in added
            )
        if self.returning:
            sql += " RETURNING " + ", ".join(quote(name) for name in self.returning)
        plan = _Plan(
            sql=sql,
            columns=tuple(c.name for c in columns),
            defaults={c.name: c.default for c in defaulted},
            converters=tuple(_converter(c, dialect) for c in columns),
            # JSON columns store Python None as JSON null unless they say otherwise.
            converts_none=tuple(_is_json(c) and not c.type.none_as_null for c in columns),  # type: ignore[attr-defined]
        )
        self._plans[keys] = plan
        return plan


def _is_number(column: Column[Any]) -> bool:
    return isinstance(getattr(column.type, "impl", column.type), Integer | Numeric)  # money is Numeric


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


def _array_type(column: Column[Any], dialect: Dialect) -> str:
    return "TEXT[]" if _is_json(column) else f"{column.type.compile(dialect=dialect)}[]"


def _selected(column: Column[Any], dialect: Dialect) -> str:
    name = "u." + dialect.identifier_preparer.quote(column.name)
    return f"{name}::{column.type.compile(dialect=dialect)}" if _is_json(column) else name


def _converter(column: Column[Any], dialect: Dialect) -> Convert | None:
    return _serialize_json if _is_json(column) else bind_converter(column.type, dialect)


def _has_python_default(column: Column[Any]) -> bool:
    default = cast(Any, column.default)
    return default is not None and (default.is_scalar or default.is_callable)


def _default_value(default: Any) -> Any:
    """What SQLAlchemy would insert for a column left out: a scalar, or an argument-less
    callable's answer, asked afresh for each batch rather than kept from the first."""
    return default.arg if default.is_scalar else default.arg(None)
