"""Pure intake rules: what fills a gap in marketplace and imported orders, and where a refusal
found after parsing is reported in the sheet."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dingdan.channels.adapters.marketplace import MISSING_TEXT, complete_intake
from dingdan.channels.import_fields import error_at, order_request_body
from dingdan.channels.imports import ParsedOrder
from dingdan.orders.schemas import OrderIn
from dingdan.platform import taiwan


def parsed(**address: str | None) -> ParsedOrder:
    intake = {
        "channel": "bulk",
        "customer": {"name": "王小明", "phone": "0912345678", "email": None},
        "shipping_address": {"recipient": "王小明", "phone": "0912345678", "country": "TW",
                             "city": "臺北市", "district": "中正區", "postal_code": "100",
                             "line1": "範例路1號", **address},
        "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}],
        "payment_method": "cod",
    }  # fmt: skip
    return ParsedOrder("R1", (7, 8), intake, {"sku": "商品編號", "recipient_phone": "電話"})


def test_the_order_ref_keys_an_order_without_an_external_id():
    assert order_request_body(parsed())["external_id"] == "R1"


@given(st.sampled_from([d for c in taiwan.list_counties() for d in taiwan.list_districts(c.name)]))
def test_a_blank_postal_code_comes_from_the_district_and_back(district):
    shared = len(taiwan.districts_for_postal_code(district.postal_code)) > 1
    from_district = order_request_body(parsed(city=district.county, district=district.name, postal_code=None))
    assert from_district["shipping_address"]["postal_code"] == district.postal_code
    from_code = order_request_body(
        parsed(city=district.county, district=None, postal_code=district.postal_code)
    )
    assert from_code["shipping_address"]["district"] == (MISSING_TEXT if shared else district.name)


def test_an_intake_field_is_reported_at_its_row_and_header():
    order = parsed()
    error = error_at(order, "/lines/1/sku", "unknown-sku", "no product")
    assert (error.row, error.column, error.field) == (8, "商品編號", "sku")
    phone = error_at(order, ("customer", "phone"), "invalid", "too long")
    assert (phone.row, phone.column) == (7, "電話")  # no customer phone column: the recipient's


contact = st.one_of(st.none(), st.text(alphabet="王小明0123456789", min_size=1, max_size=10))


@given(contact, contact, contact, contact)
def test_a_marketplace_order_with_gaps_is_still_a_valid_intake(name, phone, recipient, ship_phone):
    intake = {
        "channel": "shop",
        "external_id": "1",
        "customer": {"name": name, "phone": phone, "email": None},
        "shipping_address": {"recipient": recipient, "phone": ship_phone, "country": "TW", "city": None,
                             "district": None, "postal_code": None, "line1": None},
        "lines": [{"sku": "A", "quantity": 1}],
        "payment_method": "online",
    }  # fmt: skip
    completed = OrderIn.model_validate(complete_intake(intake))
    assert completed.customer.name == (name or recipient or MISSING_TEXT)
    assert completed.shipping_address.phone == (ship_phone or phone or MISSING_TEXT)
