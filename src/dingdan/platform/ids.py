"""Identifiers given to people: order numbers that are easy to read out and hard to guess."""

from __future__ import annotations

import secrets
from datetime import datetime

# Crockford's base32 without the letters people misread (I, L, O, U).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARS = 8  # 40 bits: guessing one needs ~10^12 tries, and lookups are rate-limited


def new_order_number(at: datetime) -> str:
    """The date (YYMMDD), a dash and 8 random characters, e.g. 261125-7KQ3MXPA."""
    # 32 letters are 5 bits each: one draw of 40 random bits gives all 8 (one system call, not 8).
    bits = secrets.randbits(5 * RANDOM_CHARS)
    suffix = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_CHARS))
    return f"{at:%y%m%d}-{suffix}"


def looks_like_order_number(text: str) -> bool:
    head, _, tail = text.partition("-")
    return (
        len(head) == 6 and head.isdigit() and len(tail) == RANDOM_CHARS and all(c in ALPHABET for c in tail)
    )
