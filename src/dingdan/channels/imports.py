"""Bulk order import from CSV and XLSX files in the documented template (docs/order-import.md).

`read_orders` streams the file: it holds one order's rows at a time, never the whole file.
It yields a `ParsedOrder` (the POST /api/v1/orders intake dict) for every order whose rows are
all good, and a `RowError` for every problem, with the row number as the merchant sees it in
the sheet (header = row 1) and the column header as written in the file. An order with any bad
row is not produced; its good rows get an `order_not_imported` error so no row is silent.
Rows of one order must be next to each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from os import PathLike
from typing import IO, Any

from dingdan.channels.errors import ImportFileError, ImportTooLarge
from dingdan.channels.import_sources import CellText, ImportLimits, RawRow, open_rows
from dingdan.channels.import_template import (
    COLUMN_BY_NAME,
    COLUMNS,
    PAYMENT_METHODS,
    ImportKind,
    find_column_name,
    find_payment_method,
    write_template,
)
from dingdan.platform.taiwan import normalize_county

__all__ = [
    "ImportKind",
    "ImportLimits",
    "ParsedOrder",
    "RowError",
    "read_orders",
    "write_template",
]

DEFAULT_COUNTRY = "TW"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True)
class RowError:
    """One problem in one row. `column` is the header as written ("" for the row as a whole)."""

    row: int
    column: str
    field: str
    code: str
    message: str
    order_ref: str | None = None


@dataclass(frozen=True)
class ParsedOrder:
    """An order whose rows were all good; `intake` is the POST /api/v1/orders body."""

    order_ref: str
    rows: tuple[int, ...]
    intake: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


ImportItem = ParsedOrder | RowError


def read_orders(
    file: IO[bytes] | str | PathLike[str],
    kind: ImportKind | str,
    *,
    channel: str,
    limits: ImportLimits | None = None,
) -> Iterator[ImportItem]:
    """Parse an import file into orders and row errors, in row order.

    Raises ImportFileError when the file cannot be read at all (format, encoding, header) and
    ImportTooLarge when it passes a cap: bytes before parsing, rows while parsing.
    """
    caps = limits or ImportLimits()
    with ExitStack() as stack:
        if isinstance(file, str | PathLike):
            binary: IO[bytes] = stack.enter_context(open(file, "rb"))
        else:
            binary = file
        rows, cell_text = open_rows(binary, _import_kind(kind), caps, stack)
        header = _read_header(rows)
        assembler = _OrderAssembler(channel, caps, header.labels)
        for number, values in _data_rows(rows, header, cell_text, caps):
            yield from assembler.add(number, values)
        yield from assembler.finish()


def _import_kind(kind: ImportKind | str) -> ImportKind:
    try:
        return ImportKind(kind)
    except ValueError:
        raise ImportFileError("only CSV and XLSX files can be imported") from None


# Header and rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    positions: dict[str, int]
    labels: dict[str, str]


def _read_header(rows: Iterator[RawRow]) -> _Header:
    first = next(rows, None)
    if first is None or not any(_is_filled(value) for value in first[1]):
        raise ImportFileError("the file is empty: row 1 must hold the column headers")
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, value in enumerate(first[1]):
        header = str(value).strip() if value is not None else ""
        name = find_column_name(header) if header else None
        if name is None:
            continue  # extra columns (product name, remarks for staff) are allowed and ignored
        if name in positions:
            raise ImportFileError(
                "columns {label!r} and {header!r} are the same column",
                params={"label": labels[name], "header": header},
            )
        positions[name], labels[name] = index, header
    missing = [f"{c.name} ({c.label})" for c in COLUMNS if c.required and c.name not in positions]
    if missing:
        raise ImportFileError("missing required columns: {columns}", params={"columns": ", ".join(missing)})
    return _Header(positions, labels)


def _is_filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _data_rows(
    rows: Iterator[RawRow], header: _Header, cell_text: CellText, limits: ImportLimits
) -> Iterator[tuple[int, dict[str, str]]]:
    counted = 0
    for number, raw in rows:
        values = {
            name: cell_text(raw[index] if index < len(raw) else None, COLUMN_BY_NAME[name])
            for name, index in header.positions.items()
        }
        if not any(values.values()):
            continue
        counted += 1
        if counted > limits.max_rows:
            raise ImportTooLarge(
                "the file has more than {max_rows} order rows", params={"max_rows": limits.max_rows}
            )
        yield number, values


# Values ------------------------------------------------------------------------------------


class _BadValue(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _parse_quantity(text: str) -> int:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _BadValue("not_a_whole_number", "must be a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise _BadValue("not_a_whole_number", "must be a whole number")
    if number < 1:
        raise _BadValue("not_positive", "must be at least 1")
    return int(number)


def _parse_money(text: str) -> str:
    cleaned = text.replace(",", "") if _THOUSANDS.match(text) else text
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise _BadValue("not_an_amount", "must be an amount such as 350 or 99.50") from None
    if not amount.is_finite() or amount < 0:
        raise _BadValue("not_an_amount", "must be an amount of 0 or more")
    return format(amount, "f")


def _parse_payment_method(text: str) -> str:
    method = find_payment_method(text)
    if method is None:
        allowed = ", ".join(PAYMENT_METHODS)
        raise _BadValue("unknown_payment_method", f"must be one of {allowed} (or 貨到付款 …)")
    return method


def _parse_email(text: str) -> str:
    if not _EMAIL.match(text):
        raise _BadValue("not_an_email", "is not an e-mail address")
    return text


def _parse_county(text: str) -> str:
    return normalize_county(text) or text


_PARSERS = {
    "quantity": _parse_quantity,
    "unit_price": _parse_money,
    "payment_method": _parse_payment_method,
    "customer_email": _parse_email,
    "county": _parse_county,
}


# Grouping rows into orders -----------------------------------------------------------------


@dataclass
class _OpenOrder:
    ref: str
    order_values: dict[str, tuple[Any, int]] = field(default_factory=dict)
    lines: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class _OrderAssembler:
    def __init__(self, channel: str, limits: ImportLimits, labels: dict[str, str]) -> None:
        self._channel = channel
        self._limits = limits
        self._labels = labels
        self._open: _OpenOrder | None = None
        self._seen_refs: dict[str, int] = {}
        self._waiting: list[RowError] = []

    def add(self, number: int, values: dict[str, str]) -> Iterator[ImportItem]:
        ref = values["order_ref"]
        if not ref:
            self._waiting.append(self._error(number, "order_ref", "required", "is required", None))
            if self._open is None:
                yield from self._flush([])
            return
        if self._open is None or self._open.ref != ref:
            yield from self.finish()
            self._open = _OpenOrder(ref)
            if ref in self._seen_refs:
                message = f"rows of order {ref} must be next to each other (see row "
                message += f"{self._seen_refs[ref]})"
                self._open.errors.append(self._error(number, "order_ref", "rows_apart", message, ref))
            self._seen_refs.setdefault(ref, number)
        self._add_row(self._open, number, values)

    def finish(self) -> Iterator[ImportItem]:
        order, self._open = self._open, None
        yield from self._flush(self._close(order) if order else [])

    def _flush(self, items: list[ImportItem]) -> Iterator[ImportItem]:
        items.extend(self._waiting)
        self._waiting = []
        yield from sorted(items, key=_first_row)

    def _add_row(self, order: _OpenOrder, number: int, values: dict[str, str]) -> None:
        parsed: dict[str, Any] = {}
        for name, text in values.items():
            if not text or name not in _PARSERS:
                parsed[name] = text or None
                continue
            try:
                parsed[name] = _PARSERS[name](text)
            except _BadValue as bad:
                order.errors.append(self._error(number, name, bad.code, bad.message, order.ref))
                parsed[name] = None
        self._check_line(order, number, parsed)
        self._merge_order_values(order, number, parsed)

    def _check_line(self, order: _OpenOrder, number: int, parsed: dict[str, Any]) -> None:
        for name in ("sku", "quantity"):
            if parsed[name] is None and _no_error_yet(order, number, name):
                order.errors.append(self._error(number, name, "required", "is required", order.ref))
        if len(order.lines) == self._limits.max_lines_per_order:
            message = f"an order may have at most {self._limits.max_lines_per_order} lines"
            order.errors.append(self._error(number, "sku", "too_many_lines", message, order.ref))
        line = {"sku": parsed["sku"], "quantity": parsed["quantity"]}
        if parsed.get("unit_price") is not None:
            line["unit_price"] = parsed["unit_price"]
        order.lines.append((number, line))

    def _merge_order_values(self, order: _OpenOrder, number: int, parsed: dict[str, Any]) -> None:
        for name, value in parsed.items():
            if not COLUMN_BY_NAME[name].per_order or value is None:
                continue
            known = order.order_values.setdefault(name, (value, number))
            if known[0] != value:
                message = f"differs from row {known[1]} of the same order ({known[0]})"
                order.errors.append(self._error(number, name, "differs_in_order", message, order.ref))

    def _close(self, order: _OpenOrder) -> list[ImportItem]:
        first_row = order.lines[0][0]
        reported = {error.field for error in order.errors}
        for column in COLUMNS:
            if column.name in order.order_values or column.name in reported:
                continue
            if column.required and column.per_order:
                order.errors.append(self._error(first_row, column.name, "required", "is required", order.ref))
        if order.errors:
            return [*order.errors, *self._not_imported_notices(order)]
        rows = tuple(number for number, _ in order.lines)
        intake = _build_intake(self._channel, order.order_values, [line for _, line in order.lines])
        return [ParsedOrder(order.ref, rows, intake, self._labels)]

    def _error(self, row: int, name: str, code: str, message: str, ref: str | None) -> RowError:
        column = self._labels.get(name, name)
        return RowError(row=row, column=column, field=name, code=code, message=message, order_ref=ref)

    def _not_imported_notices(self, order: _OpenOrder) -> list[ImportItem]:
        bad_rows = sorted({error.row for error in order.errors})
        listed = ", ".join(str(row) for row in bad_rows)
        message = f"not imported: order {order.ref} has errors on row {listed}"
        return [
            self._error(number, "", "order_not_imported", message, order.ref)
            for number, _ in order.lines
            if number not in bad_rows
        ]


def _no_error_yet(order: _OpenOrder, number: int, name: str) -> bool:
    """True unless the row already has an error on this column (one message per cell)."""
    return not any(e.row == number and e.field == name for e in order.errors)


def _build_intake(
    channel: str, values: dict[str, tuple[Any, int]], lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """The POST /api/v1/orders body; optional keys are left out when blank."""

    def value(name: str) -> Any:
        return values[name][0] if name in values else None

    intake: dict[str, Any] = {"channel": channel}
    if value("external_id"):
        intake["external_id"] = value("external_id")
    intake["customer"] = {
        "name": value("customer_name"),
        "phone": value("customer_phone") or value("recipient_phone"),
        "email": value("customer_email"),
    }
    address = {
        "recipient": value("recipient"),
        "phone": value("recipient_phone"),
        "country": DEFAULT_COUNTRY,
        "city": value("county"),
        "district": value("district"),
        "postal_code": value("postal_code"),
        "line1": value("address_line1"),
    }
    if value("address_line2"):
        address["line2"] = value("address_line2")
    intake["shipping_address"] = address
    intake["lines"] = lines
    intake["payment_method"] = value("payment_method")
    if value("note"):
        intake["note"] = value("note")
    return intake


def _first_row(item: ImportItem) -> int:
    return item.rows[0] if isinstance(item, ParsedOrder) else item.row
