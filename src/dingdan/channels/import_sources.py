"""Streaming row sources for the bulk import: CSV and XLSX, read row by row under caps."""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from dingdan.channels.errors import ImportFileError, ImportTooLarge
from dingdan.channels.import_template import Column, ImportKind
from dingdan.platform.spreadsheets import unguard_formula

_MIB = 1024 * 1024
_ENCODING_PROBE_BYTES = 64 * 1024

RawRow = tuple[int, list[Any]]
CellText = Callable[[Any, Column], str]


@dataclass(frozen=True)
class ImportLimits:
    """Caps that keep one upload from taking the server down; all are checked while reading."""

    max_bytes: int = 50 * _MIB
    max_rows: int = 200_000
    max_lines_per_order: int = 500
    max_unpacked_bytes: int = 512 * _MIB


def open_rows(
    binary: IO[bytes], kind: ImportKind, limits: ImportLimits, stack: ExitStack
) -> tuple[Iterator[RawRow], CellText]:
    """Numbered raw rows (header = row 1) and the function that turns a cell into text."""
    sized = _within_byte_cap(binary, limits, stack)
    if kind is ImportKind.CSV:
        return _csv_rows(sized, stack), _csv_cell_text
    return _xlsx_rows(sized, limits, stack), _xlsx_cell_text


def _within_byte_cap(binary: IO[bytes], limits: ImportLimits, stack: ExitStack) -> IO[bytes]:
    """The file, checked against `max_bytes` before any row is parsed, positioned to read."""
    too_large = ImportTooLarge(
        "the file is larger than {max_bytes} bytes", params={"max_bytes": limits.max_bytes}
    )
    if binary.seekable():
        start = binary.tell()
        size = binary.seek(0, io.SEEK_END) - start
        binary.seek(start)
        if size > limits.max_bytes:
            raise too_large
        return binary
    spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=8 * _MIB))  # noqa: SIM115
    copied = 0
    while chunk := binary.read(_MIB):
        copied += len(chunk)
        if copied > limits.max_bytes:
            raise too_large
        spool.write(chunk)
    spool.seek(0)
    return spool


# CSV ---------------------------------------------------------------------------------------


def _csv_rows(binary: IO[bytes], stack: ExitStack) -> Iterator[RawRow]:
    encoding = _csv_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    # Detach rather than close: the caller owns the file it handed in.
    stack.callback(text.detach)
    return _numbered_csv_records(csv.reader(text), encoding)


def _csv_encoding(binary: IO[bytes]) -> str:
    """UTF-8 (with or without BOM), or Big5 as Excel in Taiwan writes plain "CSV" files."""
    start = binary.tell()
    head = binary.read(_ENCODING_PROBE_BYTES)
    binary.seek(start)
    for encoding in ("utf-8-sig", "cp950"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError("the file is neither UTF-8 nor Big5 text; save it as 'CSV UTF-8'")


def _numbered_csv_records(reader: Iterator[list[str]], encoding: str) -> Iterator[RawRow]:
    number = 1
    try:
        for record in reader:
            yield number, list(record)
            number += 1
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "row {number}: the text is not valid {encoding}", params={"number": number, "encoding": encoding}
        ) from error
    except csv.Error as error:
        raise ImportFileError("row {number}: {error}", params={"number": number, "error": error}) from error


def _csv_cell_text(value: Any, column: Column) -> str:
    return unguard_formula(value).strip() if isinstance(value, str) else ""


# XLSX --------------------------------------------------------------------------------------


def _xlsx_rows(binary: IO[bytes], limits: ImportLimits, stack: ExitStack) -> Iterator[RawRow]:
    _check_unpacked_size(binary, limits)
    try:
        workbook = load_workbook(binary, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise ImportFileError("the file is not an Excel workbook (.xlsx)") from error
    stack.callback(workbook.close)
    if not workbook.worksheets:
        raise ImportFileError("the workbook has no sheet")
    sheet = workbook.worksheets[0]
    # The stored dimension can be wrong (some tools write A1:A1); read every row instead.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    return ((number, list(values)) for number, values in enumerate(rows, start=1))


def _check_unpacked_size(binary: IO[bytes], limits: ImportLimits) -> None:
    start = binary.tell()
    try:
        with zipfile.ZipFile(binary) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ImportFileError("the file is not an Excel workbook (.xlsx)") from error
    finally:
        binary.seek(start)
    if unpacked > limits.max_unpacked_bytes:
        raise ImportTooLarge(
            "the workbook unpacks to more than {max_unpacked_bytes} bytes",
            params={"max_unpacked_bytes": limits.max_unpacked_bytes},
        )


def _xlsx_cell_text(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return _number_text(value, column)
    return str(value).strip()


def _number_text(value: float | Decimal, column: Column) -> str:
    number = Decimal(str(value))
    text = (
        format(number.to_integral_value(), "f")
        if number == number.to_integral_value()
        else (format(number, "f"))
    )
    # A phone number typed into a number cell loses its leading zero (912345678).
    if column.name.endswith("phone") and not text.startswith(("0", "886")):
        return "0" + text
    return text
