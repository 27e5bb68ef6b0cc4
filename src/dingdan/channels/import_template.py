"""The bulk order import template: its columns, header aliases, and the downloadable file.

One row per order line; rows with the same `order_ref` form one order. docs/order-import.md
documents every column for merchants.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dingdan.channels.errors import ImportFileError
from dingdan.platform.spreadsheets import guard_formula, xlsx_cell

HeaderLanguage = Literal["en", "zh-Hant"]


class ImportKind(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def import_kind_for_filename(filename: str) -> ImportKind:
    """The kind of an uploaded file by its extension; raises ImportFileError for others."""
    suffix = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    try:
        return ImportKind(suffix)
    except ValueError:
        raise ImportFileError("only .csv and .xlsx files can be imported") from None


@dataclass(frozen=True)
class Column:
    """A template column. `per_order` values must agree on every row of one order."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    per_order: bool = True
    keep_as_text: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("order_ref", "訂單編號", ("訂單號碼", "單號"), required=True, keep_as_text=True),
    Column("external_id", "外部訂單編號", ("平台訂單編號",), keep_as_text=True),
    Column("customer_name", "訂購人", ("訂購人姓名", "顧客姓名", "客戶姓名"), required=True),
    Column("customer_phone", "訂購人電話", ("顧客電話", "客戶電話"), keep_as_text=True),
    Column("customer_email", "電子郵件", ("email", "e-mail", "訂購人email", "電郵")),
    Column("recipient", "收件人", ("收件人姓名",), required=True),
    Column("recipient_phone", "電話", ("收件人電話", "手機"), required=True, keep_as_text=True),
    Column("county", "縣市", ("city",), required=True),
    Column("district", "鄉鎮市區", ("區域", "行政區")),
    Column("postal_code", "郵遞區號", ("郵遞區號碼", "zip"), keep_as_text=True),
    Column("address_line1", "地址", ("收件地址", "地址1"), required=True),
    Column("address_line2", "地址2", ("地址第二行",)),
    Column("sku", "商品編號", ("商品貨號", "料號"), required=True, per_order=False),
    Column("quantity", "數量", (), required=True, per_order=False),
    Column("unit_price", "單價", ("售價",), per_order=False),
    Column("payment_method", "付款方式", (), required=True),
    Column("note", "備註", ("訂單備註",)),
)

COLUMN_BY_NAME = MappingProxyType({column.name: column for column in COLUMNS})

PAYMENT_METHODS = ("online", "cod", "bank_transfer")
_PAYMENT_ALIASES = {
    "online": "online",
    "線上付款": "online",
    "信用卡": "online",
    "cod": "cod",
    "貨到付款": "cod",
    "bank_transfer": "bank_transfer",
    "銀行轉帳": "bank_transfer",
    "轉帳": "bank_transfer",
    "匯款": "bank_transfer",
    "atm轉帳": "bank_transfer",
}


def header_key(header: str) -> str:
    """Headers match ignoring case, width, spaces, '_', '-' and a required-marker '*'."""
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "_-*")


def _build_header_lookup() -> MappingProxyType[str, str]:
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for header in (column.name, column.label, *column.aliases):
            lookup[header_key(header)] = column.name
    return MappingProxyType(lookup)


HEADER_LOOKUP = _build_header_lookup()


def find_column_name(header: str) -> str | None:
    return HEADER_LOOKUP.get(header_key(header))


_PAYMENT_BY_KEY = MappingProxyType({header_key(k): v for k, v in _PAYMENT_ALIASES.items()})


def find_payment_method(text: str) -> str | None:
    """The payment method code for a code or a zh-Hant name (貨到付款), or None."""
    return _PAYMENT_BY_KEY.get(header_key(text))


SAMPLE_ROW: Mapping[str, str] = MappingProxyType(
    {
        "order_ref": "A0001",
        "external_id": "",
        "customer_name": "範例訂購人",
        "customer_phone": "0912345678",
        "customer_email": "customer@example.com",
        "recipient": "範例收件人",
        "recipient_phone": "0912345678",
        "county": "臺北市",
        "district": "中正區",
        "postal_code": "100",
        "address_line1": "範例路1號",
        "address_line2": "5樓",
        "sku": "SKU-0001",
        "quantity": "2",
        "unit_price": "350",
        "payment_method": "cod",
        "note": "請於上班時間送達",
    }
)


def write_template(kind: ImportKind | str, *, language: HeaderLanguage = "zh-Hant") -> bytes:
    """The downloadable import template: the header row and one sample order line."""
    return write_rows(kind, [SAMPLE_ROW], language=language)


def write_rows(
    kind: ImportKind | str,
    rows: Iterable[Mapping[str, str]],
    *,
    language: HeaderLanguage = "zh-Hant",
) -> bytes:
    """A file in the template's format holding `rows` (column name -> text; missing = blank)."""
    headers = [column.label if language == "zh-Hant" else column.name for column in COLUMNS]
    table = ([row.get(column.name, "") for column in COLUMNS] for row in rows)
    if ImportKind(kind) is ImportKind.CSV:
        return _csv_bytes(headers, table)
    return _xlsx_bytes(headers, table)


def _csv_bytes(headers: list[str], table: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([guard_formula(value) for value in values] for values in table)
    # The byte order mark is how Excel knows a CSV is UTF-8 and shows Chinese correctly.
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(headers: list[str], table: Iterable[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("orders")
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) * 2 + 2)
    bold = Font(bold=True)
    sheet.append([xlsx_cell(sheet, header, font=bold) for header in headers])
    for values in table:
        sheet.append([xlsx_cell(sheet, value or "") for value in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
