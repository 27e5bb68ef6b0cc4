"""The downloadable import template and its header aliases."""

from __future__ import annotations

import io

import openpyxl
import pytest

from dingdan.channels.errors import ImportFileError
from dingdan.channels.import_template import (
    COLUMNS,
    HeaderLanguage,
    ImportKind,
    find_column_name,
    import_kind_for_filename,
    write_rows,
    write_template,
)
from dingdan.channels.imports import ParsedOrder, read_orders

DOCUMENTED_COLUMNS = [
    "order_ref", "external_id", "customer_name", "customer_phone", "customer_email",
    "recipient", "recipient_phone", "county", "district", "postal_code", "address_line1",
    "address_line2", "sku", "quantity", "unit_price", "payment_method", "note",
]  # fmt: skip


def test_template_has_the_documented_columns_in_order() -> None:
    assert [column.name for column in COLUMNS] == DOCUMENTED_COLUMNS


def test_csv_template_starts_with_a_bom_so_excel_reads_chinese() -> None:
    data = write_template("csv")
    assert data.startswith(b"\xef\xbb\xbf")
    header = data.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["訂單編號", "外部訂單編號", "訂購人"]
    assert "商品編號" in header and "數量" in header and "付款方式" in header


def test_english_template_uses_the_column_names() -> None:
    header = write_template("csv", language="en").decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == DOCUMENTED_COLUMNS


def test_xlsx_template_is_a_workbook_with_text_cells() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(write_template(ImportKind.XLSX)))
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A1"].value == "訂單編號"
    assert sheet.freeze_panes == "A2"
    phone = sheet.cell(row=2, column=4)
    assert phone.value == "0912345678"
    assert phone.number_format == "@"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("language", ["en", "zh-Hant"])
def test_template_sample_row_imports_as_one_order(kind: str, language: HeaderLanguage) -> None:
    data = write_template(kind, language=language)
    [order] = list(read_orders(io.BytesIO(data), kind, channel="web"))
    assert isinstance(order, ParsedOrder)
    assert order.rows == (2,)
    assert order.intake == {
        "channel": "web",
        "customer": {"name": "範例訂購人", "phone": "0912345678", "email": "customer@example.com"},
        "shipping_address": {
            "recipient": "範例收件人",
            "phone": "0912345678",
            "country": "TW",
            "city": "臺北市",
            "district": "中正區",
            "postal_code": "100",
            "line1": "範例路1號",
            "line2": "5樓",
        },
        "lines": [{"sku": "SKU-0001", "quantity": 2, "unit_price": "350"}],
        "payment_method": "cod",
        "note": "請於上班時間送達",
    }


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("訂單編號", "order_ref"),
        ("Order Ref", "order_ref"),
        ("ORDER-REF", "order_ref"),
        ("*數量", "quantity"),
        ("ＳＫＵ", "sku"),
        ("收件人電話", "recipient_phone"),
        ("電話", "recipient_phone"),
        ("地址", "address_line1"),
        ("鄉鎮市區", "district"),
        ("商品名稱", None),
    ],
)
def test_headers_match_in_either_language(header: str, column: str | None) -> None:
    assert find_column_name(header) == column


def test_formula_like_values_are_neutralised_in_csv_and_read_back() -> None:
    row = {"order_ref": "F1", "note": '=HYPERLINK("http://x")', "customer_phone": "+886912345678"}
    text = write_rows("csv", [row], language="en").decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "'+886912345678" in text


def test_formula_like_values_stay_text_in_xlsx() -> None:
    data = write_rows("xlsx", [{"order_ref": "F1", "note": "=1+1"}], language="en")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    note = sheet.cell(row=2, column=17)
    assert (note.value, note.data_type) == ("=1+1", "s")


def test_kind_from_filename() -> None:
    assert import_kind_for_filename("orders.XLSX") is ImportKind.XLSX
    assert import_kind_for_filename("訂單.csv") is ImportKind.CSV
    with pytest.raises(ImportFileError):
        import_kind_for_filename("orders.xls")
