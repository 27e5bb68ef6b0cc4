"""A small declarative engine that turns a marketplace payload into the order intake shape.

A marketplace module lists `Field`s: where a value goes in the intake dict (`target`), where it
may come from in the payload (`sources`, tried in order) and how it is converted. The engine
walks the list; converters stay tiny and testable, and the mapping reads as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from dingdan.channels.errors import MarketplacePayloadError

WHOLE_PAYLOAD = "$"
"""A source path that hands the converter the whole object being mapped."""

Converter = Callable[[Any], Any]
WhenMissing = Literal["fail", "null", "omit"]


class ConversionError(ValueError):
    """Raised by a converter; `path` grows as the error bubbles out of nested lists."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class Field:
    """One row of a mapping table.

    When no source gives a value, `default` is used; when that is None too, `when_missing`
    decides: "fail" rejects the payload, "null" writes None, "omit" leaves the key out.
    """

    target: str
    sources: tuple[str, ...]
    convert: Converter = lambda value: value
    when_missing: WhenMissing = "null"
    default: Any = None


def apply_field_map(fields: Sequence[Field], payload: Mapping[str, Any]) -> dict[str, Any]:
    """Map `payload` through `fields`; a bad or missing value raises MarketplacePayloadError."""
    try:
        return _map(fields, payload)
    except ConversionError as error:
        raise MarketplacePayloadError(error.path or "payload", error.message) from error


def _map(fields: Sequence[Field], payload: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for field in fields:
        value = _first_value(field, payload)
        if value is None:
            value = field.default
        if value is None and field.when_missing == "omit":
            continue
        if value is None and field.when_missing == "fail":
            raise ConversionError("is missing", " | ".join(field.sources))
        _put(result, field.target, value)
    return result


def _first_value(field: Field, payload: Mapping[str, Any]) -> Any:
    for source in field.sources:
        raw = resolve_path(payload, source)
        if raw is None:
            continue
        try:
            value = field.convert(raw)
        except ConversionError as error:
            raise ConversionError(error.message, _join_path(source, error.path)) from error
        if value is not None:
            return value
    return None


def resolve_path(payload: Mapping[str, Any], path: str) -> Any:
    """The value at dotted `path`, or None when any step is missing or not an object."""
    if path == WHOLE_PAYLOAD:
        return payload
    node: Any = payload
    for step in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(step)
    return node


def _put(result: dict[str, Any], target: str, value: Any) -> None:
    *parents, leaf = target.split(".")
    node = result
    for step in parents:
        node = node.setdefault(step, {})
    node[leaf] = value


def _join_path(source: str, inner: str) -> str:
    if not inner:
        return source
    if source == WHOLE_PAYLOAD:
        return inner
    return f"{source}{inner}" if inner.startswith("[") else f"{source}.{inner}"


# Converters shared by every marketplace -------------------------------------------------


def list_of(fields: Sequence[Field]) -> Converter:
    """Map each object of a list through `fields`; an empty list counts as missing."""

    def convert(items: Any) -> list[dict[str, Any]] | None:
        if not isinstance(items, list):
            raise ConversionError("is not a list")
        mapped = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ConversionError("is not an object", f"[{index}]")
            try:
                mapped.append(_map(fields, item))
            except ConversionError as error:
                raise ConversionError(error.message, f"[{index}].{error.path}") from error
        return mapped or None

    return convert


def text(value: Any) -> str | None:
    """Trimmed text; blank counts as missing. Numbers (ids) become their decimal text."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConversionError("is not text")
    stripped = str(value).strip()
    return stripped or None


def money(value: Any) -> str | None:
    """A non-negative amount as a decimal string, exactly as precise as the source wrote it."""
    amount = _decimal(value)
    return None if amount is None else str(amount)


def money_sum(key: str) -> Converter:
    """Sum `key` over a list of objects (shipping lines, fees) as a decimal string."""

    def convert(items: Any) -> str | None:
        if not isinstance(items, list):
            raise ConversionError("is not a list")
        amounts = [_decimal(item.get(key)) if isinstance(item, Mapping) else None for item in items]
        present = [amount for amount in amounts if amount is not None]
        return str(sum(present, Decimal(0))) if present else None

    return convert


def positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConversionError("is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError as error:
        raise ConversionError("is not a whole number") from error
    if number <= 0:
        raise ConversionError("must be at least 1")
    return number


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    # JSON numbers may arrive as float when the body was parsed without parse_float=Decimal;
    # str() gives the shortest text that round-trips, so no binary noise leaks into the amount.
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ConversionError("is not a decimal amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ConversionError("is not a decimal amount") from error
    if not amount.is_finite() or amount < 0:
        raise ConversionError("must be a non-negative amount")
    return amount


MatchTable = Iterable[tuple[Callable[[str], bool], str]]


def first_match(table: MatchTable, candidates: Iterable[str]) -> str | None:
    """The result of the first table row whose test accepts any candidate, in table order."""
    lowered = [candidate.casefold() for candidate in candidates if candidate]
    for test, result in table:
        if any(test(candidate) for candidate in lowered):
            return result
    return None
