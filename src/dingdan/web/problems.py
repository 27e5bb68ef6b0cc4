"""Every error is application/problem+json (RFC 9457) with a stable type and the bad field.

`type`, `status` and `errors[].field` never depend on the language; `title` and `detail` are
translated through the `problems` catalogs (msgids are the English texts, details are
templates with named placeholders). Machine routes (/api/, /webhooks/, /health, /metrics)
answer in English unless ?lang, the dd_lang cookie or Accept-Language asks for zh-Hant;
pages keep the interface's zh-Hant default (docs/decisions/0008).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from dingdan.platform.db import is_unreachable
from dingdan.platform.errors import DomainError
from dingdan.web import i18n

log = logging.getLogger(__name__)
PROBLEM_TYPE = "application/problem+json"
STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
    503: "service-unavailable",
}
MACHINE_PREFIXES = ("/api/", "/webhooks/", "/health", "/metrics")
MACHINE_DEFAULT_LOCALE = "en"


def problem_locale(request: Request) -> str:
    """The caller's language if named, else English on machine routes and zh-Hant on pages."""
    machine = request.url.path.startswith(MACHINE_PREFIXES)
    return i18n.pick_locale(request, MACHINE_DEFAULT_LOCALE if machine else i18n.DEFAULT_LOCALE)


def localise(locale: str, template: str, params: dict[str, Any] | None = None) -> str:
    """The template in `locale`, filled in; the English text if the translation is unusable."""
    translated = i18n.gettext(locale, template)
    if not params:
        return translated
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError):
        log.warning("problem text %r has a bad translation in %s", template, locale)
        return template.format(**params)


def status_title(status: int) -> str:
    """The English title of a status without a more precise problem, e.g. "Not found"."""
    return STATUS_CODES.get(status, "error").replace("-", " ").capitalize()


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in {"body", "query", "path", "header"}
        else [str(p) for p in loc]
    )
    return "/" + "/".join(parts)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    """Pydantic's own messages (errors[].message) stay English; title and detail are translated."""
    assert isinstance(exc, RequestValidationError)
    locale = problem_locale(request)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(
            400,
            "malformed-json",
            localise(locale, "Malformed JSON"),
            localise(locale, "the request body is not valid JSON"),
            errors=[{"field": "/", "message": localise(locale, "not valid JSON")}],
        )
    errors = [{"field": _pointer(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))} for e in raw]
    first = errors[0]["field"] if errors else "/"
    detail = localise(locale, "invalid value at {field}", {"field": first})
    return problem(422, "invalid-input", localise(locale, "Invalid input"), detail, errors=errors)


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    locale = problem_locale(request)
    detail = localise(locale, exc.template, exc.params)
    field = exc.field
    errors = [{"field": field if field.startswith("/") else f"/{field}", "message": detail}] if field else []
    retry_after = exc.extra.get("retry_after")
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    title = localise(locale, exc.title)
    return problem(
        exc.status, exc.code, title, detail, errors=errors, headers=headers, **_safe_extra(exc.extra)
    )


def _safe_extra(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if isinstance(v, str | int | dict | list)}


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    locale = problem_locale(request)
    code = STATUS_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else code
    return problem(
        exc.status_code,
        code,
        localise(locale, status_title(exc.status_code)),
        localise(locale, detail),
        headers=getattr(exc, "headers", None),
    )


async def on_integrity_error(request: Request, exc: Exception) -> Response:
    log.warning("constraint refused a write: %s", type(exc).__name__)
    locale = problem_locale(request)
    detail = localise(locale, "the change would break a rule of the data and was not made")
    return problem(409, "constraint-violation", localise(locale, "Conflict"), detail)


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    locale = problem_locale(request)
    detail = localise(locale, "something went wrong on our side")
    return problem(500, "internal-error", localise(locale, "Internal error"), detail)


RETRY_AFTER_SECONDS = 5
OUTAGE_NOTE_EVERY_SECONDS = 30.0


class OutageNotes:
    """One warning line, no traceback, for the first request an outage refuses; then at most
    one line every OUTAGE_NOTE_EVERY_SECONDS, counting the requests refused in between."""

    def __init__(self) -> None:
        self.noted_at = float("-inf")
        self.refused_since = 0

    def note(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self.noted_at < OUTAGE_NOTE_EVERY_SECONDS:
            self.refused_since += 1
            return
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        since = f"; {self.refused_since} more refused since the last note" if self.refused_since else ""
        log.warning("database unreachable, answering 503 (%s: %.200s)%s", type(cause).__name__, cause, since)
        self.noted_at, self.refused_since = now, 0


# PostgreSQL refuses text holding a NUL character (SQLite stores it); the statement failed,
# so its transaction changed nothing, and the caller hears that the text was refused.
UNSTORABLE_TEXT = {"22021", "22P05"}  # character_not_in_repertoire, untranslatable_character


async def on_database_error(request: Request, exc: Exception) -> Response:
    """503 with Retry-After when the database cannot be reached; 422 for text the database
    cannot store; any other error is a 500."""
    locale = problem_locale(request)
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in UNSTORABLE_TEXT:
        detail = localise(locale, "text must not contain NUL characters (\\u0000)")
        return problem(422, "invalid-input", localise(locale, "Invalid input"), detail)
    if not is_unreachable(exc):
        raise exc  # any other error: the server's last-resort handler answers 500 and logs it
    request.app.state.outage_notes.note(exc)
    detail = localise(locale, "the database cannot be reached; try again shortly")
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return problem(503, "service-unavailable", localise(locale, "Service unavailable"), detail, headers=retry)


PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each bad field as a JSON Pointer",
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _document_validation_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents its own 422 body; ours is problem+json (see `on_validation_error`)."""
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            answer = operation.get("responses", {}).get("422")
            if answer is not None and "application/json" in answer.get("content", {}):
                answer["description"] = "problem+json (RFC 9457)"
                answer["content"] = {PROBLEM_TYPE: {"schema": PROBLEM_REF}}
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    return spec


def _openapi_with_problems(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_validation_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _openapi_with_problems(app)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
    app.state.outage_notes = OutageNotes()
    for unreachable in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(unreachable, on_database_error)
    app.add_exception_handler(Exception, on_unexpected_error)
