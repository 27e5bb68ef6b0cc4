"""Domain errors with a stable code; the web layer turns them into problem+json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A rule refused the request. `code` is stable and becomes the problem type.

    `detail` is an English message template: with `params` its named placeholders
    (`"no order {number}"`) are filled in, so the web layer can translate the template
    and fill it in again in the caller's language.
    """

    code = "domain-error"
    status = 400
    title = "Request refused"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        params: Mapping[str, object] | None = None,
        **extra: Any,
    ) -> None:
        self.template = detail
        self.params = dict(params or {})
        self.detail = detail.format(**self.params) if params else detail
        super().__init__(self.detail)
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    code = "not-found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class InvalidInput(DomainError):
    code = "invalid-input"
    status = 422
    title = "Invalid input"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    title = "Authentication required"
