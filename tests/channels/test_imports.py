"""Bulk order import: every good order comes through, every bad row is named by row and column."""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest

from dingdan.channels.errors import ImportFileError, ImportTooLarge
from dingdan.channels.import_template import HeaderLanguage, write_rows
from dingdan.channels.imports import ImportLimits, ParsedOrder, RowError, read_orders


def read_all(data: bytes, kind: str, **options: Any) -> list[ParsedOrder | RowError]:
    return list(read_orders(io.BytesIO(data), kind, channel="web", **options))


def split(items: list[ParsedOrder | RowError]) -> tuple[list[ParsedOrder], list[RowError]]:
    orders = [item for item in items if isinstance(item, ParsedOrder)]
    errors = [item for item in items if isinstance(item, RowError)]
    return orders, errors


def build_10k_rows(
    factory: SimpleNamespace,
) -> tuple[list[dict[str, str]], set[str], set[tuple[int, str, str]]]:
    """4,000 orders of 1-4 lines (10,000 rows) with a handful of bad rows.

    Returns the rows, the refs of the orders that must be rejected, and the expected
    (row, column, code) of every bad row.
    """
    rows: list[dict[str, str]] = []
    for number in range(4000):
        rows.extend(factory.order_rows(f"B{number:05d}", line_count=number % 4 + 1))

    def sheet_row(ref: str, line: int = 1) -> int:
        return next(i for i, row in enumerate(rows) if row["order_ref"] == ref) + line + 1

    bad = {
        ("B00100", 1, "quantity", "abc", "not_a_whole_number"),
        ("B00202", 2, "unit_price", "-5", "not_an_amount"),
        ("B00301", 1, "payment_method", "PayPal", "unknown_payment_method"),
        ("B00403", 4, "sku", "", "required"),
        ("B00501", 2, "recipient_phone", "0933999999", "differs_in_order"),
        ("B00600", 1, "recipient", "", "required"),
        ("B00700", 1, "customer_email", "not-an-email", "not_an_email"),
    }
    expected: set[tuple[int, str, str]] = set()
    for ref, line, column, value, code in bad:
        row_number = sheet_row(ref, line)
        rows[row_number - 2][column] = value
        expected.add((row_number, column, code))
    return rows, {ref for ref, *_ in bad}, expected


@pytest.mark.parametrize(("kind", "language"), [("csv", "zh-Hant"), ("xlsx", "en")])
def test_10000_rows_with_a_few_bad_ones(
    import_rows: SimpleNamespace, kind: str, language: HeaderLanguage
) -> None:
    rows, rejected_refs, expected_errors = build_10k_rows(import_rows)
    data = write_rows(kind, rows, language=language)

    orders, errors = split(read_all(data, kind))

    assert len(rows) == 10_000
    assert len(orders) == 4000 - len(rejected_refs)
    assert {order.order_ref for order in orders}.isdisjoint(rejected_refs)
    for order in orders:
        line_count = int(order.order_ref[1:]) % 4 + 1
        assert order.intake == import_rows.expected_intake(order.order_ref, line_count)
    row_errors = {
        (error.row, error.field, error.code) for error in errors if error.code != "order_not_imported"
    }
    assert row_errors == expected_errors
    for error in errors:
        assert error.column == ("" if error.field == "" else import_rows.header_label(error.field, language))
    rejected_rows = {error.row for error in errors}
    rows_of_rejected = {i + 2 for i, row in enumerate(rows) if row["order_ref"] in rejected_refs}
    assert rejected_rows == rows_of_rejected, "every row of a rejected order is reported"


def test_items_come_in_row_order(import_rows: SimpleNamespace) -> None:
    rows = [
        *import_rows.order_rows("A1", 2),
        {"order_ref": "", "sku": "SKU-X", "quantity": "1"},
        *import_rows.order_rows("A2", 1, payment_method="???"),
        *import_rows.order_rows("A3", 1),
    ]
    items = read_all(write_rows("csv", rows), "csv")
    positions = [item.rows[0] if isinstance(item, ParsedOrder) else item.row for item in items]
    assert positions == sorted(positions)
    assert [type(item).__name__ for item in items] == [
        "ParsedOrder", "RowError", "RowError", "ParsedOrder"
    ]  # fmt: skip


def test_order_values_may_be_given_on_the_first_row_only(import_rows: SimpleNamespace) -> None:
    first, *others = import_rows.order_rows("C1", 3)
    blanked = [{"order_ref": "C1", "sku": r["sku"], "quantity": r["quantity"],
                "unit_price": r["unit_price"]} for r in others]  # fmt: skip
    [order] = read_all(write_rows("csv", [first, *blanked]), "csv")
    assert isinstance(order, ParsedOrder)
    assert order.rows == (2, 3, 4)
    assert order.intake == import_rows.expected_intake("C1", 3)


def test_rows_of_one_order_must_be_together(import_rows: SimpleNamespace) -> None:
    rows = [
        *import_rows.order_rows("D1"),
        *import_rows.order_rows("D2"),
        *import_rows.order_rows("D1"),
    ]
    orders, errors = split(read_all(write_rows("csv", rows), "csv"))
    assert [order.order_ref for order in orders] == ["D1", "D2"]
    assert [(error.row, error.code) for error in errors] == [(4, "rows_apart")]
    assert "row 2" in errors[0].message


def test_optional_columns_may_be_left_out(import_rows: SimpleNamespace) -> None:
    needed = ["order_ref", "customer_name", "recipient", "recipient_phone", "county",
              "address_line1", "sku", "quantity", "payment_method"]  # fmt: skip
    csv_text = ",".join(needed) + "\r\n" + "E1,買家,收件者,0912000000,高雄市,範例街1號,S1,3,online\r\n"
    [order] = read_all(csv_text.encode(), "csv")
    assert isinstance(order, ParsedOrder)
    assert order.intake == {
        "channel": "web",
        "customer": {"name": "買家", "phone": "0912000000", "email": None},
        "shipping_address": {
            "recipient": "收件者", "phone": "0912000000", "country": "TW", "city": "高雄市",
            "district": None, "postal_code": None, "line1": "範例街1號",
        },
        "lines": [{"sku": "S1", "quantity": 3}],
        "payment_method": "online",
    }  # fmt: skip


def test_extra_columns_and_blank_rows_are_ignored(import_rows: SimpleNamespace) -> None:
    data = write_rows("csv", import_rows.order_rows("G1"), language="en").decode("utf-8-sig")
    header, row = data.splitlines()
    text = f"{header},商品名稱\r\n,,,\r\n{row},帆布包\r\n\r\n"
    orders, errors = split(read_all(text.encode("utf-8-sig"), "csv"))
    assert errors == []
    assert orders[0].rows == (3,)


@pytest.mark.parametrize(
    ("quantity", "price", "expected_quantity", "expected_price"),
    [("2", "1,200", 2, "1200"), ("3.0", "99.5", 3, "99.5"), ("１２", "0", 12, "0")],
)
def test_numbers_as_merchants_write_them(
    import_rows: SimpleNamespace,
    quantity: str,
    price: str,
    expected_quantity: int,
    expected_price: str,
) -> None:
    [row] = import_rows.order_rows("H1")
    row.update(quantity=quantity, unit_price=price)
    [order] = read_all(write_rows("csv", [row]), "csv")
    assert isinstance(order, ParsedOrder)
    assert order.intake["lines"] == [
        {"sku": "SKU-001", "quantity": expected_quantity, "unit_price": expected_price}
    ]


def test_xlsx_number_cells_are_read_as_the_merchant_typed_them(
    import_rows: SimpleNamespace,
) -> None:
    [row] = import_rows.order_rows("1001")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(row))
    typed: dict[str, Any] = {
        **row, "order_ref": 1001, "recipient_phone": 922000222, "customer_phone": 911000111,
        "postal_code": 407, "quantity": 1, "unit_price": 100.5,
    }  # fmt: skip
    sheet.append([typed[name] for name in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    [order] = read_all(buffer.getvalue(), "xlsx")
    assert isinstance(order, ParsedOrder)
    expected = import_rows.expected_intake("1001", 1)
    expected["lines"] = [{"sku": "SKU-001", "quantity": 1, "unit_price": "100.5"}]
    assert order.intake == expected


def test_big5_csv_from_excel_is_read(import_rows: SimpleNamespace) -> None:
    text = write_rows("csv", import_rows.order_rows("K1")).decode("utf-8-sig")
    [order] = read_all(text.encode("cp950"), "csv")
    assert isinstance(order, ParsedOrder)
    assert order.intake == import_rows.expected_intake("K1")


def test_file_level_problems_are_clear() -> None:
    with pytest.raises(ImportFileError, match="empty"):
        read_all(b"", "csv")
    with pytest.raises(ImportFileError, match=r"quantity \(數量\)"):
        read_all("訂單編號,訂購人,收件人,電話,縣市,地址,商品編號,付款方式\r\n".encode(), "csv")
    with pytest.raises(ImportFileError, match="same column"):
        read_all("sku,商品編號\r\n".encode(), "csv")
    with pytest.raises(ImportFileError, match="not an Excel workbook"):
        read_all(b"order_ref\r\nA1\r\n", "xlsx")
    with pytest.raises(ImportFileError, match="UTF-8"):
        read_all(b"\xff\xfe\x00o\x00r\x00d\x00e\x00r", "csv")


def test_byte_cap_is_checked_before_any_row(import_rows: SimpleNamespace) -> None:
    data = write_rows("csv", import_rows.order_rows("L1", 3))
    items = read_orders(io.BytesIO(data), "csv", channel="web",
                        limits=ImportLimits(max_bytes=len(data) - 1))  # fmt: skip
    with pytest.raises(ImportTooLarge, match="bytes"):
        next(items)
    assert len(read_all(data, "csv", limits=ImportLimits(max_bytes=len(data)))) == 1


class OneWayStream(io.RawIOBase):
    """An upload that can only be read forward, like a network stream."""

    def __init__(self, data: bytes) -> None:
        self._source = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._source.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_byte_cap_holds_for_a_stream_that_cannot_seek(import_rows: SimpleNamespace) -> None:
    data = write_rows("xlsx", import_rows.order_rows("M1", 2))
    with pytest.raises(ImportTooLarge):
        list(read_orders(io.BufferedReader(OneWayStream(data)), "xlsx", channel="web",
                         limits=ImportLimits(max_bytes=len(data) // 2)))  # fmt: skip
    [order] = list(read_orders(io.BufferedReader(OneWayStream(data)), "xlsx", channel="web"))
    assert isinstance(order, ParsedOrder)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_row_cap_stops_reading(import_rows: SimpleNamespace, kind: str) -> None:
    rows = [row for n in range(30) for row in import_rows.order_rows(f"N{n}")]
    data = write_rows(kind, rows)
    items = read_orders(io.BytesIO(data), kind, channel="web", limits=ImportLimits(max_rows=20))
    read_before_cap: list[ParsedOrder | RowError] = []
    with pytest.raises(ImportTooLarge, match="more than 20 order rows"):
        read_before_cap.extend(items)
    assert len(read_before_cap) < 20
    assert len(read_all(data, kind, limits=ImportLimits(max_rows=30))) == 30


def test_unpacked_size_cap_stops_a_zip_bomb_before_parsing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * 5_000_000)
    with pytest.raises(ImportTooLarge, match="unpacks"):
        read_all(buffer.getvalue(), "xlsx", limits=ImportLimits(max_unpacked_bytes=1_000_000))


def test_lines_per_order_cap(import_rows: SimpleNamespace) -> None:
    data = write_rows("csv", import_rows.order_rows("P1", 4))
    orders, errors = split(read_all(data, "csv", limits=ImportLimits(max_lines_per_order=3)))
    assert orders == []
    assert [(e.row, e.code) for e in errors if e.code != "order_not_imported"] == [(5, "too_many_lines")]


def test_reading_is_lazy(import_rows: SimpleNamespace) -> None:
    rows = [row for n in range(1000) for row in import_rows.order_rows(f"Q{n}")]
    good = write_rows("csv", rows)
    assert len(good) > 128 * 1024, "the broken byte must lie past the encoding probe"
    broken_tail = good + "Q9999,\xff\r\n".encode("latin-1")
    items = read_orders(io.BytesIO(broken_tail), "csv", channel="web")
    first = next(items)
    assert isinstance(first, ParsedOrder) and first.order_ref == "Q0"
    with pytest.raises(ImportFileError, match="not valid utf-8"):
        list(items)


def test_a_path_can_be_read(tmp_path: Any, import_rows: SimpleNamespace) -> None:
    path = tmp_path / "訂單.xlsx"
    path.write_bytes(write_rows("xlsx", import_rows.order_rows("R1")))
    [order] = list(read_orders(path, "xlsx", channel="web"))
    assert isinstance(order, ParsedOrder)
