"""Channel rules: types, stock policies, codes and API keys."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingdan.channels.rules import (
    ChannelType,
    StockPolicy,
    api_key_matches,
    default_stock_policy,
    generate_api_key,
    generate_webhook_secret,
    hash_api_key,
    is_valid_channel_code,
    looks_like_api_key,
)


def test_channel_types_and_stock_policies_are_the_documented_values() -> None:
    assert {t.value for t in ChannelType} == {"website", "app", "marketplace", "manual", "import"}
    assert {p.value for p in StockPolicy} == {"reject", "backorder"}


@pytest.mark.parametrize(
    ("channel_type", "policy"),
    [
        (ChannelType.WEBSITE, StockPolicy.REJECT),
        (ChannelType.APP, StockPolicy.REJECT),
        (ChannelType.MANUAL, StockPolicy.REJECT),
        (ChannelType.MARKETPLACE, StockPolicy.BACKORDER),
        (ChannelType.IMPORT, StockPolicy.BACKORDER),
    ],
)
def test_orders_that_already_happened_elsewhere_are_backordered(
    channel_type: ChannelType, policy: StockPolicy
) -> None:
    assert default_stock_policy(channel_type) is policy


@pytest.mark.parametrize("code", ["web", "app", "manual", "shopify-tw", "m2"])
def test_valid_channel_codes(code: str) -> None:
    assert is_valid_channel_code(code)


@pytest.mark.parametrize("code", ["", "Web", "-web", "web shop", "商店", "a/b", "x" * 41, "web\n"])
def test_invalid_channel_codes(code: str) -> None:
    assert not is_valid_channel_code(code)


def test_generated_key_is_stored_only_as_its_hash() -> None:
    plaintext, key_hash, display_prefix = generate_api_key()
    assert key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in key_hash
    assert plaintext.startswith(display_prefix)
    assert len(display_prefix) == 12
    assert looks_like_api_key(plaintext)
    assert api_key_matches(plaintext, key_hash)


def test_generated_keys_are_unique_and_unguessable() -> None:
    keys = {generate_api_key().plaintext for _ in range(1000)}
    assert len(keys) == 1000
    assert all(len(key) >= 4 + 43 for key in keys)
    assert len({key[:12] for key in keys}) > 990, "display prefixes tell keys apart"


@given(st.text(max_size=80))
def test_only_the_exact_key_matches(other: str) -> None:
    key = generate_api_key()
    assert api_key_matches(other, key.key_hash) is (other == key.plaintext)
    assert hash_api_key(other) == hashlib.sha256(other.encode()).hexdigest()


def test_bearer_values_that_are_not_keys_are_recognised() -> None:
    assert not looks_like_api_key("")
    assert not looks_like_api_key("Bearer ddk_abc")
    assert not looks_like_api_key("eyJhbGciOiJIUzI1NiJ9." + "a" * 40)


def test_webhook_secrets_are_long_and_random() -> None:
    first, second = generate_webhook_secret(), generate_webhook_secret()
    assert first != second
    assert len(first) >= 43
