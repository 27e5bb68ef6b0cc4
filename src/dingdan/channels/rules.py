"""Pure rules of sales channels: their types, stock policies, codes, API keys and secrets."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum
from typing import NamedTuple


class ChannelType(StrEnum):
    WEBSITE = "website"
    APP = "app"
    MARKETPLACE = "marketplace"
    MANUAL = "manual"
    IMPORT = "import"


class StockPolicy(StrEnum):
    """What intake does with a line that cannot be reserved.

    REJECT refuses the order (409 out-of-stock, nothing kept): the buyer is still at the
    checkout. BACKORDER accepts it, flagged for review, reserved as stock arrives: the sale
    already happened elsewhere (a marketplace, a file of past orders).
    """

    REJECT = "reject"
    BACKORDER = "backorder"


_DEFAULT_STOCK_POLICY = {
    ChannelType.WEBSITE: StockPolicy.REJECT,
    ChannelType.APP: StockPolicy.REJECT,
    ChannelType.MANUAL: StockPolicy.REJECT,
    ChannelType.MARKETPLACE: StockPolicy.BACKORDER,
    ChannelType.IMPORT: StockPolicy.BACKORDER,
}


def default_stock_policy(channel_type: ChannelType) -> StockPolicy:
    return _DEFAULT_STOCK_POLICY[channel_type]


_CHANNEL_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def is_valid_channel_code(code: str) -> bool:
    """Codes appear in URLs (/webhooks/shopify/{code}): lowercase letters, digits and '-'."""
    return _CHANNEL_CODE.fullmatch(code) is not None


# API keys ----------------------------------------------------------------------------------

API_KEY_PREFIX = "ddk_"
_API_KEY_RANDOM_BYTES = 32
_DISPLAY_PREFIX_LENGTH = len(API_KEY_PREFIX) + 8


class GeneratedApiKey(NamedTuple):
    """`plaintext` is shown once and never stored; `key_hash` and `display_prefix` are kept."""

    plaintext: str
    key_hash: str
    display_prefix: str


def generate_api_key() -> GeneratedApiKey:
    """A new random API key (256 bits), its SHA-256 hash and the prefix shown in lists."""
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(_API_KEY_RANDOM_BYTES)
    return GeneratedApiKey(plaintext, hash_api_key(plaintext), plaintext[:_DISPLAY_PREFIX_LENGTH])


def hash_api_key(key: str) -> str:
    """The stored form of a key, as lowercase hex. A fast hash is right here: the key is
    256 random bits, so there is nothing to brute-force, and lookups happen on every request."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), key_hash)


def looks_like_api_key(value: str) -> bool:
    """Cheap shape check before a database lookup (Authorization: Bearer <key>)."""
    return value.startswith(API_KEY_PREFIX) and 40 <= len(value) <= 64


def generate_webhook_secret() -> str:
    """A shared secret for signing marketplace webhooks, when the merchant has none to paste."""
    return secrets.token_urlsafe(32)
