"""Orders as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese) and
XLSX. Column names are stable English keys, documented in docs/console.md."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from dingdan.platform.money import money_text
from dingdan.platform.spreadsheets import guard_formula, xlsx_cell
from dingdan.web.i18n import SHOP_TZ

COLUMNS = (
    "number",
    "created_at",
    "status",
    "payment_status",
    "fulfillment_status",
    "channel",
    "external_id",
    "customer_name",
    "customer_phone",
    "customer_email",
    "recipient",
    "recipient_phone",
    "postal_code",
    "city",
    "district",
    "address",
    "payment_method",
    "items",
    "subtotal",
    "shipping_fee",
    "discount",
    "total",
    "currency",
    "note",
)


def export_row(order: Mapping[Any, Any], lines: Sequence[Mapping[Any, Any]]) -> list[str]:
    cur = order["currency"]
    items = "; ".join(f"{ln['sku']} × {ln['quantity']}" for ln in lines)
    address = f"{order['ship_line1']} {order['ship_line2']}".strip()
    return [
        order["number"],
        order["created_at"].astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M"),
        order["status"],
        order["payment_status"],
        order["fulfillment_status"],
        order["channel_code"],
        order["external_id"] or "",
        order["customer_name"],
        order["customer_phone"],
        order["customer_email"],
        order["ship_recipient"],
        order["ship_phone"],
        order["ship_postal_code"],
        order["ship_city"],
        order["ship_district"],
        address,
        order["payment_method"],
        items,
        money_text(order["subtotal"], cur),
        money_text(order["shipping_fee"], cur),
        money_text(order["discount_total"], cur),
        money_text(order["total"], cur),
        cur,
        order["note"],
    ]


MONEY_COLUMNS = frozenset(COLUMNS.index(c) for c in ("subtotal", "shipping_fee", "discount", "total"))


def to_csv(rows: Sequence[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(
        [v if i in MONEY_COLUMNS else guard_formula(v) for i, v in enumerate(row)] for row in rows
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("orders")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([Decimal(v) if i in MONEY_COLUMNS else xlsx_cell(sheet, v) for i, v in enumerate(row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
