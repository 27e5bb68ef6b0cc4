"""Fast JSON responses (orjson); routes declare their response_model for the OpenAPI docs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, default=_default),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route may give."""
    return {
        s: {"description": "problem+json (RFC 9457)", "content": {"application/problem+json": {}}}
        for s in statuses
    }
