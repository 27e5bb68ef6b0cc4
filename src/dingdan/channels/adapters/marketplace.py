"""What a marketplace format module provides to the webhook intake."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SignatureCheck = Callable[[bytes, str | None, Sequence[str]], bool]
OrderMapper = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class MarketplaceFormat:
    """One marketplace's webhook format.

    `verify_signature(raw_body, header_value, secrets)` checks the raw bytes as received;
    `map_order(payload, channel=code)` returns the order intake dict. `event_header` names the
    header carrying the event type; only events in `order_events` are mapped to orders.
    `delivery_id_header` names the header with the delivery's id (the same on every retry of
    one delivery), used to answer replays without work; "" when the marketplace sends none.
    """

    code: str
    title: str
    signature_header: str
    event_header: str
    order_events: frozenset[str]
    verify_signature: SignatureCheck
    map_order: OrderMapper
    delivery_id_header: str = ""

    def creates_order(self, headers: Mapping[str, str]) -> bool:
        """Whether a delivery with these headers is an order-creation event (case-insensitive)."""
        wanted = self.event_header.casefold()
        for name, value in headers.items():
            if name.casefold() == wanted:
                return value.strip() in self.order_events
        return False


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header `name` (case-insensitive), or None."""
    wanted = name.casefold()
    return next((value for key, value in headers.items() if key.casefold() == wanted), None)


MISSING_TEXT = "-"
_CONTACT_FIELDS = {
    "customer": ("name", "phone"),
    "shipping_address": ("recipient", "phone", "city", "district", "postal_code", "line1"),
}


def complete_intake(intake: dict[str, Any]) -> dict[str, Any]:
    """Fill what a marketplace left out so the sale is kept, not refused: the buyer's name and
    phone stand in for the recipient's and back, and a remaining gap becomes "-", which the
    order review flags (invalid phone, unknown county) for the merchant to fix."""
    customer = dict(intake.get("customer") or {})
    address = dict(intake.get("shipping_address") or {})
    customer["name"] = customer.get("name") or address.get("recipient")
    address["recipient"] = address.get("recipient") or customer.get("name")
    customer["phone"] = customer.get("phone") or address.get("phone")
    address["phone"] = address.get("phone") or customer.get("phone")
    customer["email"] = customer.get("email") or ""
    for part, names in (("customer", customer), ("shipping_address", address)):
        for name in _CONTACT_FIELDS[part]:
            names[name] = names.get(name) or MISSING_TEXT
    return {**intake, "customer": customer, "shipping_address": address}
