"""Marketplace webhook formats, by code.

Adding a marketplace is one module in this folder that exposes a `FORMAT`
(a `MarketplaceFormat`) and one line in `_FORMATS` below; see docs/marketplaces.md.
"""

from __future__ import annotations

from types import MappingProxyType

from dingdan.channels.adapters import shopify
from dingdan.channels.adapters.marketplace import MarketplaceFormat
from dingdan.channels.errors import UnknownMarketplaceFormat

_FORMATS: tuple[MarketplaceFormat, ...] = (shopify.FORMAT,)

MARKETPLACE_FORMATS = MappingProxyType({fmt.code: fmt for fmt in _FORMATS})


def get_marketplace_format(code: str) -> MarketplaceFormat:
    """The format registered under `code`; raises UnknownMarketplaceFormat otherwise."""
    try:
        return MARKETPLACE_FORMATS[code]
    except KeyError:
        raise UnknownMarketplaceFormat(
            "no marketplace format named {code!r}", params={"code": code}
        ) from None


def list_marketplace_codes() -> list[str]:
    return sorted(MARKETPLACE_FORMATS)


__all__ = [
    "MARKETPLACE_FORMATS",
    "MarketplaceFormat",
    "get_marketplace_format",
    "list_marketplace_codes",
]
