"""Correcting an order's customer phone and shipping address (review queue, customer service).

The address and phone review issues are decided again from the corrected values; the other
issues stay until the order is confirmed. One timeline event, `order.corrected`, names the
fields that changed, old and new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import rules
from dingdan.orders import service as orders
from dingdan.orders.schemas import order_view
from dingdan.workflows.edit_order import ensure_editable

CONTACT_ISSUES = frozenset(
    {
        "address_unknown_county",
        "address_unknown_district",
        "address_postal_code_mismatch",
        "address_postal_code_invalid",
        "address_incomplete",
        "phone_invalid",
    }
)
ADDRESS_COLUMNS = {
    "recipient": "ship_recipient",
    "phone": "ship_phone",
    "country": "ship_country",
    "city": "ship_city",
    "district": "ship_district",
    "postal_code": "ship_postal_code",
    "line1": "ship_line1",
    "line2": "ship_line2",
}


async def correct_contact(
    session: AsyncSession,
    *,
    number: str,
    address: Mapping[str, str],
    customer_phone: str,
    actor: str,
    reason: str = "",
) -> dict[str, Any]:
    """`address` has the keys of AddressIn (recipient, phone, country, city, district, ...)."""
    order = await orders.get_order_row(session, number=number, for_update=True)
    ensure_editable(order)
    values: dict[str, Any] = {
        column: rules.normalize_phone(address[key]) if key == "phone" else address[key]
        for key, column in ADDRESS_COLUMNS.items()
    }
    values["customer_phone"] = rules.normalize_phone(customer_phone)
    changed = {c: {"from": order[c], "to": v} for c, v in values.items() if order[c] != v}
    if not changed:
        lines = await orders.get_lines(session, order_ids=[order["id"]])
        return order_view(order, lines[order["id"]])
    issues = [i for i in order["review_issues"] if i["code"] not in CONTACT_ISSUES]
    issues += rules.address_issues(dict(address))
    issues += rules.customer_issues({"phone": customer_phone}, address["country"])
    updated = await orders.update_fields(
        session,
        order=order,
        values={**values, "review_issues": issues},
        event=orders.TimelineEvent(
            "order.corrected",
            actor,
            {"reason": reason, "changed": changed, "issues": [i["code"] for i in issues]},
        ),
    )
    lines = await orders.get_lines(session, order_ids=[order["id"]])
    return order_view(updated, lines[order["id"]])
