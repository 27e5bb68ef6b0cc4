"""Shopify's `orders/create` webhook: signature check and mapping to the order intake shape.

Shopify signs each delivery with `X-Shopify-Hmac-Sha256`: the base64 of the HMAC-SHA256 of the
raw request body, keyed with the app's client secret. The payload is the REST Admin API order.
Money fields are decimal strings in the shop's currency.

Mapping choices (see docs/marketplaces.md):
- `shipping_fee` is the sum of `shipping_lines[].price` before discounts, and `discount` is
  `total_discounts`, which already includes shipping discounts, so
  lines + shipping_fee - discount equals Shopify's `total_price` when no tax is added on top.
- The address hierarchy is province -> intake `city` (縣市), city -> intake `district`. For
  Taiwan, the province or a county prefix of the city is turned into its official name (臺北市).
- The payment method comes from the gateway names (cash on delivery, bank deposit); any other
  order is an online payment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Any

from dingdan.channels.adapters.field_map import (
    WHOLE_PAYLOAD,
    ConversionError,
    Field,
    apply_field_map,
    first_match,
    list_of,
    money,
    money_sum,
    positive_int,
    text,
)
from dingdan.channels.adapters.marketplace import MarketplaceFormat
from dingdan.channels.errors import MarketplacePayloadError
from dingdan.platform.taiwan import normalize_county

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
DEFAULT_COUNTRY = "TW"


def sign_body(raw_body: bytes, secret: str) -> str:
    """The header value Shopify would send for `raw_body` signed with `secret`."""
    return base64.b64encode(_digest(raw_body, secret)).decode("ascii")


def verify_signature(raw_body: bytes, header_value: str | None, secrets: Sequence[str]) -> bool:
    """True when `header_value` is the signature of `raw_body` under any of `secrets`.

    Several secrets allow rotation: the old and the new secret are both accepted for a while.
    """
    if not header_value:
        return False
    try:
        received = base64.b64decode(header_value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(received) != hashlib.sha256().digest_size:
        return False
    usable = [secret for secret in secrets if secret]
    return any([hmac.compare_digest(_digest(raw_body, secret), received) for secret in usable])


def _digest(raw_body: bytes, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()


# Converters --------------------------------------------------------------------------------

_CJK = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·]+$")


def person_name(person: Any) -> str | None:
    """Full name from first/last name; Chinese names family name first, without a space."""
    if not isinstance(person, Mapping):
        raise ConversionError("is not an object")
    first, last = _optional_text(person.get("first_name")), _optional_text(person.get("last_name"))
    if first and last and _CJK.match(first) and _CJK.match(last):
        return last + first
    if first or last:
        return " ".join(part for part in (first, last) if part)
    return _optional_text(person.get("name"))


def country_code(value: Any) -> str | None:
    code = text(value)
    return code.upper() if code else None


def _region(address: Any) -> tuple[str | None, str | None]:
    """(intake city = 縣市 / province, intake district = 鄉鎮市區 / city) of a Shopify address."""
    if not isinstance(address, Mapping):
        raise ConversionError("is not an object")
    province = _optional_text(address.get("province"))
    city = _optional_text(address.get("city"))
    country = (_optional_text(address.get("country_code")) or DEFAULT_COUNTRY).upper()
    if country == "TW":
        return _taiwan_region(province, city)
    return (province, city) if province else (city, None)


def _find_county(text: str | None) -> str | None:
    return normalize_county(text) if text else None


def _split_county_prefix(text: str) -> tuple[str, str] | None:
    """Split "台北市中正區" into ("臺北市", "中正區"); None when `text` starts with no county."""
    stripped = text.strip()
    county = _find_county(stripped[:3])
    return (county, stripped[3:].strip()) if county else None


def _taiwan_region(province: str | None, city: str | None) -> tuple[str | None, str | None]:
    county = _find_county(province)
    city_as_county = _find_county(city)
    if city_as_county and county in (None, city_as_county):
        return city_as_county, None
    split = _split_county_prefix(city) if city else None
    if split and (county is None or county == split[0]):
        return split[0], split[1] or None
    if county:
        return county, city
    return (province, city) if province else (city, None)


def address_county(address: Any) -> str | None:
    return _region(address)[0]


def address_district(address: Any) -> str | None:
    return _region(address)[1]


def _contains(word: str) -> Any:
    return lambda candidate: word in candidate


def _has_word(word: str) -> Any:
    pattern = re.compile(rf"\b{re.escape(word)}\b")
    return lambda candidate: pattern.search(candidate) is not None


# Gateway names are merchant-visible labels; manual methods carry their name ("Cash on
# Delivery (COD)", "Bank Deposit"). First matching row wins.
PAYMENT_METHOD_BY_GATEWAY = (
    (_contains("cash on delivery"), "cod"),
    (_has_word("cod"), "cod"),
    (_contains("貨到付款"), "cod"),
    (_contains("bank"), "bank_transfer"),
    (_contains("transfer"), "bank_transfer"),
    (_contains("匯款"), "bank_transfer"),
    (_contains("轉帳"), "bank_transfer"),
    (_has_word("atm"), "bank_transfer"),
)


def payment_method(order: Any) -> str:
    if not isinstance(order, Mapping):
        raise ConversionError("is not an object")
    names = order.get("payment_gateway_names")
    listed = names if isinstance(names, list) else []
    candidates = [name for name in listed if isinstance(name, str)]
    if isinstance(order.get("gateway"), str):
        candidates.append(order["gateway"])
    return first_match(PAYMENT_METHOD_BY_GATEWAY, candidates) or "online"


def _optional_text(value: Any) -> str | None:
    return text(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


# The mapping table --------------------------------------------------------------------------

LINE_FIELDS = (
    Field("sku", ("sku",), text, when_missing="fail"),
    Field("quantity", ("quantity",), positive_int, when_missing="fail"),
    Field("unit_price", ("price",), money, when_missing="omit"),
)

ORDER_FIELDS = (
    Field("external_id", ("id",), text, when_missing="fail"),
    Field("customer.name", ("customer", "billing_address", "shipping_address"), person_name),
    Field(
        "customer.phone",
        ("customer.phone", "phone", "shipping_address.phone", "billing_address.phone"),
        text,
    ),
    Field("customer.email", ("email", "contact_email", "customer.email"), text),
    Field("shipping_address.recipient", ("shipping_address",), person_name),
    Field("shipping_address.phone", ("shipping_address.phone", "customer.phone", "phone"), text),
    Field(
        "shipping_address.country",
        ("shipping_address.country_code",),
        country_code,
        default=DEFAULT_COUNTRY,
    ),
    Field("shipping_address.city", ("shipping_address",), address_county),
    Field("shipping_address.district", ("shipping_address",), address_district),
    Field("shipping_address.postal_code", ("shipping_address.zip",), text),
    Field("shipping_address.line1", ("shipping_address.address1",), text),
    Field("shipping_address.line2", ("shipping_address.address2",), text, when_missing="omit"),
    Field("lines", ("line_items",), list_of(LINE_FIELDS), when_missing="fail"),
    Field("payment_method", (WHOLE_PAYLOAD,), payment_method),
    Field("note", ("note",), text, when_missing="omit"),
    Field("shipping_fee", ("shipping_lines",), money_sum("price"), when_missing="omit"),
    Field("discount", ("total_discounts",), money, when_missing="omit"),
)


def map_order(payload: Any, *, channel: str) -> dict[str, Any]:
    """The order intake dict for a Shopify order payload, placed on channel `channel`."""
    if not isinstance(payload, Mapping):
        raise MarketplacePayloadError("payload", "is not an object")
    return {"channel": channel, **apply_field_map(ORDER_FIELDS, payload)}


FORMAT = MarketplaceFormat(
    code="shopify",
    title="Shopify",
    signature_header=SIGNATURE_HEADER,
    event_header=TOPIC_HEADER,
    order_events=frozenset({"orders/create"}),
    verify_signature=verify_signature,
    map_order=map_order,
    delivery_id_header=WEBHOOK_ID_HEADER,
)
