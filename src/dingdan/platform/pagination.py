"""Opaque cursors for keyset pagination (newest first, by id)."""

from __future__ import annotations

import base64

from dingdan.platform.errors import InvalidInput

MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1  # the largest BIGINT
DEFAULT_PAGE_SIZE = 20


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        version, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        if version != "v1":
            raise ValueError(version)
        last_id = int(value)
        if not 0 < last_id <= MAX_ID:  # no row has such an id; the database would refuse it
            raise ValueError(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this server gave out", field="cursor") from exc
    return last_id
