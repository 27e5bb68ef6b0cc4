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
    """

    code: str
    title: str
    signature_header: str
    event_header: str
    order_events: frozenset[str]
    verify_signature: SignatureCheck
    map_order: OrderMapper

    def creates_order(self, headers: Mapping[str, str]) -> bool:
        """Whether a delivery with these headers is an order-creation event (case-insensitive)."""
        wanted = self.event_header.casefold()
        for name, value in headers.items():
            if name.casefold() == wanted:
                return value.strip() in self.order_events
        return False
