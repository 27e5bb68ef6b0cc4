"""Shopify `orders/create` payloads become the order intake shape of POST /api/v1/orders."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from dingdan.channels.adapters import get_marketplace_format, list_marketplace_codes
from dingdan.channels.adapters.shopify import map_order
from dingdan.channels.errors import MarketplacePayloadError, UnknownMarketplaceFormat


def test_documented_sample_maps_to_the_intake_shape(shopify_order: dict[str, Any]) -> None:
    assert map_order(shopify_order, channel="shopify-tw") == {
        "channel": "shopify-tw",
        "external_id": "820982911946154508",
        "customer": {"name": "John Smith", "phone": "555-555-SHIP", "email": "jon@doe.ca"},
        "shipping_address": {
            "recipient": "Steve Shipper",
            "phone": "555-555-SHIP",
            "country": "US",
            "city": "Kentucky",
            "district": "Shippington",
            "postal_code": "40003",
            "line1": "123 Shipping Street",
        },
        "lines": [
            {"sku": "SKU2006-001", "quantity": 1, "unit_price": "89.99"},
            {"sku": "SKU2006-020", "quantity": 1, "unit_price": "159.99"},
        ],
        "payment_method": "online",
        "shipping_fee": "10.00",
        "discount": "5.00",
    }


def test_mapped_amounts_add_up_to_shopifys_total(shopify_order: dict[str, Any]) -> None:
    intake = map_order(shopify_order, channel="shop")
    lines = sum(Decimal(line["unit_price"]) * line["quantity"] for line in intake["lines"])
    total = lines + Decimal(intake["shipping_fee"]) - Decimal(intake["discount"])
    assert total == Decimal(shopify_order["total_price"])


def taiwanese(order: dict[str, Any], **address: Any) -> dict[str, Any]:
    order = copy.deepcopy(order)
    order["shipping_address"].update(
        {
            "first_name": "小明",
            "last_name": "陳",
            "name": "小明 陳",
            "country": "Taiwan",
            "country_code": "TW",
            "zip": "100",
            "address1": "範例路1號",
            "address2": "5樓",
            "phone": "0912345678",
            **address,
        }
    )
    return order


@pytest.mark.parametrize(
    ("province", "city", "expected_city", "expected_district"),
    [
        ("Taipei City", "Zhongzheng District", "臺北市", "Zhongzheng District"),
        ("台北市", "中正區", "臺北市", "中正區"),
        (None, "台北市中正區", "臺北市", "中正區"),
        (None, "Kaohsiung City", "高雄市", None),
        ("Hualien County", "花蓮市", "花蓮縣", "花蓮市"),
        ("Taipei City", "臺北市", "臺北市", None),
        ("Somewhere", "Elsewhere", "Somewhere", "Elsewhere"),
    ],
)
def test_taiwanese_province_becomes_the_official_county(
    shopify_order: dict[str, Any],
    province: str | None,
    city: str,
    expected_city: str,
    expected_district: str | None,
) -> None:
    order = taiwanese(shopify_order, province=province, city=city)
    address = map_order(order, channel="shop")["shipping_address"]
    assert (address["city"], address["district"]) == (expected_city, expected_district)
    assert address["country"] == "TW"
    assert address["line2"] == "5樓"


def test_chinese_names_are_family_name_first(shopify_order: dict[str, Any]) -> None:
    order = taiwanese(shopify_order, province="Taipei City", city="中正區")
    assert map_order(order, channel="shop")["shipping_address"]["recipient"] == "陳小明"


def test_missing_country_defaults_to_taiwan(shopify_order: dict[str, Any]) -> None:
    order = taiwanese(shopify_order, province="新北市", city="板橋區")
    del order["shipping_address"]["country_code"]
    address = map_order(order, channel="shop")["shipping_address"]
    assert (address["country"], address["city"], address["district"]) == ("TW", "新北市", "板橋區")


@pytest.mark.parametrize(
    ("gateways", "expected"),
    [
        (["Cash on Delivery (COD)"], "cod"),
        (["貨到付款"], "cod"),
        (["Bank Deposit"], "bank_transfer"),
        (["ATM 轉帳"], "bank_transfer"),
        (["shopify_payments"], "online"),
        ([], "online"),
        (["Codes and vouchers"], "online"),
    ],
)
def test_payment_method_follows_the_gateway(
    shopify_order: dict[str, Any], gateways: list[str], expected: str
) -> None:
    order = {**shopify_order, "payment_gateway_names": gateways, "gateway": None}
    assert map_order(order, channel="shop")["payment_method"] == expected


def test_legacy_gateway_field_is_read_too(shopify_order: dict[str, Any]) -> None:
    order = {**shopify_order, "payment_gateway_names": None, "gateway": "Cash on Delivery (COD)"}
    assert map_order(order, channel="shop")["payment_method"] == "cod"


def test_several_shipping_lines_add_up(shopify_order: dict[str, Any]) -> None:
    order = copy.deepcopy(shopify_order)
    order["shipping_lines"].append({"title": "Remote island surcharge", "price": "60"})
    assert map_order(order, channel="shop")["shipping_fee"] == "70.00"


def test_no_shipping_lines_and_no_note_leave_optional_keys_out(
    shopify_order: dict[str, Any],
) -> None:
    order = {**shopify_order, "shipping_lines": [], "note": "  "}
    del order["total_discounts"]
    intake = map_order(order, channel="shop")
    assert "shipping_fee" not in intake
    assert "discount" not in intake
    assert "note" not in intake


def test_customer_falls_back_to_the_addresses(shopify_order: dict[str, Any]) -> None:
    order = {**shopify_order, "customer": None, "email": None}
    customer = map_order(order, channel="shop")["customer"]
    assert customer == {"name": "Bob Biller", "phone": "555-555-SHIP", "email": "jon@doe.ca"}


def test_order_without_shipping_address_keeps_the_keys(shopify_order: dict[str, Any]) -> None:
    order = {**shopify_order, "shipping_address": None}
    address = map_order(order, channel="shop")["shipping_address"]
    assert address["country"] == "TW"
    assert address["recipient"] is None
    assert address["line1"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o["line_items"][1].update(sku=None), "line_items[1].sku"),
        (lambda o: o["line_items"][0].update(quantity=0), "line_items[0].quantity"),
        (lambda o: o["line_items"][0].update(quantity="two"), "line_items[0].quantity"),
        (lambda o: o["line_items"][0].update(price="NaN"), "line_items[0].price"),
        (lambda o: o["line_items"][0].update(price="-1.00"), "line_items[0].price"),
        (lambda o: o.update(line_items=[]), "line_items"),
        (lambda o: o.update(line_items="SKU2006-001"), "line_items"),
        (lambda o: o.update(id=None), "id"),
        (lambda o: o.update(total_discounts={"amount": "5"}), "total_discounts"),
    ],
)
def test_unusable_payload_names_the_field(shopify_order: dict[str, Any], change: Any, field: str) -> None:
    order = copy.deepcopy(shopify_order)
    change(order)
    with pytest.raises(MarketplacePayloadError) as raised:
        map_order(order, channel="shop")
    assert raised.value.field == field


def test_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(MarketplacePayloadError):
        map_order(["not", "an", "order"], channel="shop")


def test_registry_finds_shopify_by_code(shopify_order: dict[str, Any]) -> None:
    shopify = get_marketplace_format("shopify")
    assert "shopify" in list_marketplace_codes()
    assert shopify.signature_header == "X-Shopify-Hmac-Sha256"
    assert shopify.map_order(shopify_order, channel="x")["external_id"] == "820982911946154508"
    assert shopify.creates_order({"x-shopify-topic": "orders/create"})
    assert not shopify.creates_order({"X-Shopify-Topic": "orders/updated"})
    assert not shopify.creates_order({})


def test_unknown_marketplace_code_is_a_clear_error() -> None:
    with pytest.raises(UnknownMarketplaceFormat, match="momo"):
        get_marketplace_format("momo")
