"""Any order the template writer writes reads back as the same order, in CSV and in XLSX."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dingdan.channels.import_template import HeaderLanguage, write_rows
from dingdan.channels.imports import ParsedOrder, read_orders
from dingdan.platform.taiwan import list_counties, normalize_county

# Printable text as a merchant types it into one cell: no control characters (XLSX cannot hold
# them), no line separators, trimmed, and never blank.
cell_text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Co", "Zl", "Zp")),
        min_size=1,
        max_size=24,
    )
    .map(str.strip)
    .filter(bool)
)
optional_text = st.one_of(st.just(""), cell_text)
payment_spellings = st.sampled_from(
    [("online", "online"), ("cod", "cod"), ("貨到付款", "cod"), ("銀行轉帳", "bank_transfer"),
     ("bank_transfer", "bank_transfer"), ("匯款", "bank_transfer")]
)  # fmt: skip
counties = st.one_of(
    st.sampled_from([name for c in list_counties() for name in (c.name, c.name_en)]),
    st.sampled_from(["台北市", "台中市", "台南市", "台東縣"]),
    cell_text,
)
lines = st.lists(
    st.fixed_dictionaries(
        {
            "sku": cell_text,
            "quantity": st.integers(min_value=1, max_value=10**9),
            "unit_price": st.one_of(st.none(), st.decimals(min_value=0, max_value=10**7, places=2)),
        }
    ),
    min_size=1,
    max_size=3,
)
order_values = st.fixed_dictionaries(
    {
        "external_id": optional_text,
        "customer_name": cell_text,
        "customer_phone": optional_text,
        "customer_email": st.one_of(st.just(""), st.emails()),
        "recipient": cell_text,
        "recipient_phone": cell_text,
        "county": counties,
        "district": optional_text,
        "postal_code": optional_text,
        "address_line1": cell_text,
        "address_line2": optional_text,
        "payment": payment_spellings,
        "note": optional_text,
        "lines": lines,
    }
)
orders = st.lists(cell_text, min_size=1, max_size=4, unique=True).flatmap(
    lambda refs: st.tuples(*(st.tuples(st.just(ref), order_values) for ref in refs))
)


def as_rows(ref: str, order: dict[str, Any]) -> list[dict[str, str]]:
    spelled, _ = order["payment"]
    shared = {k: v for k, v in order.items() if k not in ("payment", "lines")}
    return [
        {
            **shared,
            "order_ref": ref,
            "payment_method": spelled,
            "sku": line["sku"],
            "quantity": str(line["quantity"]),
            "unit_price": "" if line["unit_price"] is None else str(line["unit_price"]),
        }
        for line in order["lines"]
    ]


def as_intake(order: dict[str, Any]) -> dict[str, Any]:
    """What the documented template rules say the order must become."""
    address = {
        "recipient": order["recipient"],
        "phone": order["recipient_phone"],
        "country": "TW",
        "city": normalize_county(order["county"]) or order["county"],
        "district": order["district"] or None,
        "postal_code": order["postal_code"] or None,
        "line1": order["address_line1"],
    }
    if order["address_line2"]:
        address["line2"] = order["address_line2"]
    intake: dict[str, Any] = {"channel": "shop"}
    if order["external_id"]:
        intake["external_id"] = order["external_id"]
    intake["customer"] = {
        "name": order["customer_name"],
        "phone": order["customer_phone"] or order["recipient_phone"],
        "email": order["customer_email"] or None,
    }
    intake["shipping_address"] = address
    intake["lines"] = [
        {"sku": line["sku"], "quantity": line["quantity"]}
        | ({} if line["unit_price"] is None else {"unit_price": str(line["unit_price"])})
        for line in order["lines"]
    ]
    intake["payment_method"] = order["payment"][1]
    if order["note"]:
        intake["note"] = order["note"]
    return intake


def check_round_trip(kind: str, language: HeaderLanguage, generated: tuple[Any, ...]) -> None:
    rows = [row for ref, order in generated for row in as_rows(ref, order)]
    data = write_rows(kind, rows, language=language)
    items = list(read_orders(io.BytesIO(data), kind, channel="shop"))
    orders = [item for item in items if isinstance(item, ParsedOrder)]
    assert orders == items, items
    assert [(order.order_ref, order.intake) for order in orders] == [
        (ref, as_intake(order)) for ref, order in generated
    ]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(generated=orders, language=st.sampled_from(["en", "zh-Hant"]))
def test_csv_round_trip(generated: tuple[Any, ...], language: HeaderLanguage) -> None:
    check_round_trip("csv", language, generated)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(generated=orders, language=st.sampled_from(["en", "zh-Hant"]))
def test_xlsx_round_trip(generated: tuple[Any, ...], language: HeaderLanguage) -> None:
    check_round_trip("xlsx", language, generated)
