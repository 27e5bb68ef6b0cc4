"""Reports as spreadsheets: CSV (the first sheet, UTF-8 with a BOM so that spreadsheet programs
read the Chinese right) and XLSX (every sheet). Money stays exact: Decimal cells, not floats."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from dingdan.platform.spreadsheets import guard_formula, xlsx_cell

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_formula(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(sheets: Sequence[Sheet]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    sheet = sheets[0]
    writer.writerow([_text(name) for name in sheet.columns])
    writer.writerows([_text(cell) for cell in row] for row in sheet.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(page: Any, value: Any) -> Any:
    return xlsx_cell(page, str(value) if isinstance(value, dict | list) else value)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.name[:31])
        page.append([_cell(page, name) for name in sheet.columns])
        for row in sheet.rows:
            page.append([_cell(page, value) for value in row])
        for cells in page.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
