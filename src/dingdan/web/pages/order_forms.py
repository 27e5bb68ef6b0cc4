"""Reading the console's order forms: lines as repeated fields, the address block."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData

from dingdan.platform.errors import InvalidInput
from dingdan.workflows.edit_order import WantedLine

ADDRESS_FIELDS = ("recipient", "phone", "country", "city", "district", "postal_code", "line1", "line2")
MAX_QUANTITY = 9999


def _text(form: FormData, name: str, limit: int = 200) -> str:
    return str(form.get(name, "")).strip()[:limit]


def read_lines(form: FormData) -> list[WantedLine]:
    """Lines from repeated sku/quantity/unit_price fields; a quantity of 0 removes the line."""
    skus, quantities, prices = (form.getlist(n) for n in ("sku", "quantity", "unit_price"))
    lines = []
    for index, raw_sku in enumerate(skus):
        sku = str(raw_sku).strip()[:64]
        if not sku:
            continue
        quantity = _quantity(str(quantities[index]) if index < len(quantities) else "", index)
        if quantity == 0:
            continue
        price = _price(str(prices[index]) if index < len(prices) else "", index)
        lines.append(WantedLine(sku, quantity, price))
    if not lines:
        raise InvalidInput("an order needs at least one line; cancel it instead", field="/lines")
    return lines


def _quantity(raw: str, index: int) -> int:
    try:
        value = int(raw.strip() or "0")
    except ValueError as exc:
        raise InvalidInput("the quantity must be a whole number", field=f"/lines/{index}/quantity") from exc
    if not 0 <= value <= MAX_QUANTITY:
        raise InvalidInput("the quantity is out of range", field=f"/lines/{index}/quantity")
    return value


def _price(raw: str, index: int) -> Decimal | None:
    if not raw.strip():
        return None
    try:
        value = Decimal(raw.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise InvalidInput("the price must be an amount", field=f"/lines/{index}/unit_price") from exc
    if not value.is_finite() or value < 0 or value > Decimal("99999999.99"):
        raise InvalidInput("the price is out of range", field=f"/lines/{index}/unit_price")
    return value.quantize(Decimal("0.01"))


def read_address(form: FormData) -> dict[str, str]:
    address = {name: _text(form, name) for name in ADDRESS_FIELDS}
    address["country"] = (address["country"] or "TW").upper()[:2]
    for required in ("recipient", "phone", "city", "district", "postal_code", "line1"):
        if not address[required]:
            raise InvalidInput("this field is required", field=f"/shipping_address/{required}")
    return address


def lines_differ(current: Sequence[Mapping[Any, Any]], wanted: Sequence[WantedLine]) -> bool:
    now = {ln["sku"]: (ln["quantity"], ln["unit_price"]) for ln in current}
    for line in wanted:
        quantity, price = now.pop(line.sku, (None, None))
        if quantity != line.quantity or (line.unit_price is not None and line.unit_price != price):
            return True
    return bool(now)
