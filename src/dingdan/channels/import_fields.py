"""From an imported order to what the order intake needs, and from an intake field back to the
sheet's row and column, so a refusal found after parsing is reported like a parsing error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dingdan.channels.imports import ParsedOrder, RowError
from dingdan.platform import taiwan

MISSING_TEXT = "-"

# intake field (dotted, line index removed) -> template column
_COLUMN_OF_FIELD = {
    "external_id": "external_id",
    "customer.name": "customer_name",
    "customer.phone": "customer_phone",
    "customer.email": "customer_email",
    "customer": "customer_name",
    "shipping_address.recipient": "recipient",
    "shipping_address.phone": "recipient_phone",
    "shipping_address.city": "county",
    "shipping_address.district": "district",
    "shipping_address.postal_code": "postal_code",
    "shipping_address.line1": "address_line1",
    "shipping_address.line2": "address_line2",
    "shipping_address": "address_line1",
    "lines.sku": "sku",
    "lines.quantity": "quantity",
    "lines.unit_price": "unit_price",
    "lines": "sku",
    "payment_method": "payment_method",
    "note": "note",
    "discount": "unit_price",
    "shipping_fee": "unit_price",
}


def intake_key(parsed: ParsedOrder) -> str:
    """What makes an imported order the same order on a re-import: its external id, else its
    order_ref (訂單編號), per channel."""
    return str(parsed.intake.get("external_id") or parsed.order_ref)


def order_request_body(parsed: ParsedOrder) -> dict[str, Any]:
    """The POST /api/v1/orders body of an imported order: blanks dropped, the idempotency key
    set, and a blank district or postal code filled in from the other where Taiwan's table
    knows it (a gap left is "-", which the order review flags)."""
    intake = parsed.intake
    customer = {k: v for k, v in intake["customer"].items() if v is not None}
    address = {k: v for k, v in intake["shipping_address"].items() if v is not None}
    _fill_district_and_postal_code(address)
    return {
        **{k: v for k, v in intake.items() if v is not None},
        "external_id": intake_key(parsed),
        "customer": customer,
        "shipping_address": address,
    }


def _fill_district_and_postal_code(address: dict[str, Any]) -> None:
    district, postal_code = address.get("district"), address.get("postal_code")
    if district and not postal_code:
        found = taiwan.find_district(address.get("city") or "", district)
        address["postal_code"] = found.postal_code if found else MISSING_TEXT
    elif postal_code and not district:
        found = taiwan.district_for_postal_code(postal_code)
        address["district"] = found.name if found else MISSING_TEXT
    elif not district and not postal_code:
        address["district"] = address["postal_code"] = MISSING_TEXT


def error_at(parsed: ParsedOrder, path: Iterable[str | int], code: str, message: str) -> RowError:
    """A RowError for the intake field at `path` (("lines", 1, "sku") or "/lines/1/sku")."""
    parts = [p for p in (_split(path)) if p != ""]
    line_index = next((int(p) for p in parts if str(p).isdigit()), None)
    named = ".".join(str(p) for p in parts if not str(p).isdigit())
    column = _COLUMN_OF_FIELD.get(named, "")
    if column == "customer_phone" and "customer_phone" not in parsed.labels:
        column = "recipient_phone"  # the customer's phone was taken from the recipient's
    row = (
        parsed.rows[line_index]
        if line_index is not None and line_index < len(parsed.rows)
        else parsed.rows[0]
    )
    return RowError(
        row=row,
        column=parsed.labels.get(column, column),
        field=column,
        code=code,
        message=message,
        order_ref=parsed.order_ref,
    )


def _split(path: Iterable[str | int] | str) -> list[str | int]:
    if isinstance(path, str):
        return list(path.strip("/").replace("/", ".").split("."))
    return list(path)


def reject(parsed: ParsedOrder, errors: list[RowError]) -> list[RowError]:
    """The errors of a refused order, plus `order_not_imported` for its other rows."""
    bad_rows = sorted({e.row for e in errors})
    listed = ", ".join(str(r) for r in bad_rows)
    notices = [
        RowError(
            row=row,
            column="",
            field="",
            code="order_not_imported",
            message=f"not imported: order {parsed.order_ref} has errors on row {listed}",
            order_ref=parsed.order_ref,
        )
        for row in sorted(set(parsed.rows) - set(bad_rows))
    ]
    return sorted([*errors, *notices], key=lambda e: e.row)
