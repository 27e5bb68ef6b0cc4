"""Pure order rules: pricing, totals, automatic review and the status an order starts in."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from dingdan.orders.states import OrderStatus
from dingdan.platform import taiwan
from dingdan.platform.money import ZERO, round_money

TW_MOBILE = re.compile(r"^09\d{8}$")
TW_LANDLINE = re.compile(r"^0[2-8]\d{6,8}$")
INTERNATIONAL = re.compile(r"^\+?\d{7,15}$")


class CatalogFacts(Protocol):
    @property
    def price(self) -> Decimal: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class ReviewPolicy:
    max_line_quantity: int = 50


@dataclass(frozen=True)
class PricedLine:
    line_no: int
    sku: str
    quantity: int
    unit_price: Decimal
    catalog_price: Decimal
    line_total: Decimal


def issue(code: str, field: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "field": field, "params": params}


def normalize_phone(raw: str) -> str:
    """Digits only, with Taiwan's +886 / 886 prefix folded back to a leading 0."""
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("+886"):
        digits = "0" + digits[4:]
    elif digits.startswith("886") and len(digits) >= 11:
        digits = "0" + digits[3:]
    return digits.lstrip("0") and ("0" + digits.lstrip("0") if digits.startswith("0") else digits)


def phone_is_valid(phone: str, country: str) -> bool:
    normalized = normalize_phone(phone)
    if country == "TW":
        return bool(TW_MOBILE.match(normalized) or TW_LANDLINE.match(normalized))
    return bool(INTERNATIONAL.match(normalized))


def price_lines(
    lines: Sequence[tuple[str, int, Decimal | None]], catalog: Mapping[str, CatalogFacts]
) -> list[PricedLine]:
    """(sku, quantity, offered unit price or None) → priced lines; catalog price by default."""
    priced = []
    for number, (sku, quantity, offered) in enumerate(lines, start=1):
        catalog_price = catalog[sku].price
        unit_price = catalog_price if offered is None else offered
        priced.append(PricedLine(number, sku, quantity, unit_price, catalog_price, unit_price * quantity))
    return priced


def shipping_fee_for(subtotal: Decimal, flat_fee: Decimal, free_from: Decimal) -> Decimal:
    return ZERO if free_from > 0 and subtotal >= free_from else flat_fee


def order_total(subtotal: Decimal, shipping_fee: Decimal, discount: Decimal, currency: str) -> Decimal:
    """lines + shipping − discount, rounded once (half-up) to the currency's minor unit."""
    return round_money(subtotal + shipping_fee - discount, currency)


def line_fingerprint(lines: Sequence[tuple[str, int]]) -> str:
    """Same SKUs and quantities in any order → same fingerprint (duplicate suspicion)."""
    canonical = ",".join(f"{sku}x{qty}" for sku, qty in sorted(lines))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def request_fingerprint(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def line_issues(
    priced: Sequence[PricedLine],
    catalog: Mapping[str, CatalogFacts],
    shortages: Mapping[str, int],
    policy: ReviewPolicy,
) -> list[dict[str, Any]]:
    found = []
    for index, line in enumerate(priced):
        field = f"/lines/{index}"
        if line.unit_price != line.catalog_price:
            found.append(
                issue(
                    "price_mismatch",
                    f"{field}/unit_price",
                    offered=str(line.unit_price),
                    catalog=str(line.catalog_price),
                )
            )
        if line.quantity > policy.max_line_quantity:
            found.append(
                issue(
                    "quantity_above_limit",
                    f"{field}/quantity",
                    quantity=line.quantity,
                    limit=policy.max_line_quantity,
                )
            )
        if not catalog[line.sku].active:
            found.append(issue("product_inactive", f"{field}/sku", sku=line.sku))
    for sku, missing in sorted(shortages.items()):
        index = next(i for i, ln in enumerate(priced) if ln.sku == sku)
        found.append(issue("backordered", f"/lines/{index}/quantity", sku=sku, missing=missing))
    return found


def address_issues(address: Mapping[str, str]) -> list[dict[str, Any]]:
    found = []
    if address["country"] == "TW":
        for problem in taiwan.check_address(address["city"], address["district"], address["postal_code"]):
            field = {"unknown_county": "city", "unknown_district": "district"}.get(problem, "postal_code")
            found.append(issue(f"address_{problem}", f"/shipping_address/{field}"))
    elif len(address["line1"]) < 5 or not re.search(r"\d", address["postal_code"]):
        found.append(issue("address_incomplete", "/shipping_address"))
    if not phone_is_valid(address["phone"], address["country"]):
        found.append(issue("phone_invalid", "/shipping_address/phone"))
    return found


def customer_issues(customer: Mapping[str, str], country: str) -> list[dict[str, Any]]:
    if phone_is_valid(customer["phone"], country):
        return []
    return [issue("phone_invalid", "/customer/phone")]


def initial_status(*, needs_payment: bool, has_issues: bool, auto_confirm: bool) -> OrderStatus:
    if needs_payment:
        return OrderStatus.PENDING_PAYMENT
    if has_issues or not auto_confirm:
        return OrderStatus.PENDING_REVIEW
    return OrderStatus.CONFIRMED


def status_after_payment(*, has_issues: bool, auto_confirm: bool) -> OrderStatus:
    return initial_status(needs_payment=False, has_issues=has_issues, auto_confirm=auto_confirm)
