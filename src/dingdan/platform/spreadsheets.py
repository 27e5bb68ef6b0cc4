"""Text that leaves dingdan in a spreadsheet (CSV and XLSX exports, import templates).

Two dangers: a value starting with "=", "+", "-" or "@" is run as a formula when the file is
opened (a customer's order note could then fetch a URL from the merchant's computer), and
control characters are not allowed in an XLSX file at all."""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

# A value starting with one of these is run as a formula when a CSV is opened in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def guard_formula(value: str) -> str:
    """Prefix an apostrophe so spreadsheets show the value instead of evaluating it."""
    return "'" + value if value.lstrip("'").startswith(_FORMULA_START) else value


def unguard_formula(value: str) -> str:
    """Undo `guard_formula`."""
    if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_START):
        return value[1:]
    return value


def xlsx_text(value: str) -> str:
    """`value` without the control characters an XLSX file cannot hold."""
    return _NOT_IN_XLSX.sub("", value)


def xlsx_cell(sheet: Any, value: Any, font: Font | None = None) -> Any:
    """A cell for `sheet.append`: text always stays text (never a formula, leading zeros kept);
    other values (numbers, dates) are passed through."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=xlsx_text(value) or None)
    cell.data_type = "s"
    cell.number_format = "@"
    if font is not None:
        cell.font = font
    return cell
