"""A portal form that refuses a value comes back as the page, with the customer's values kept
and a message next to each refused field (the JSON API answers problem+json instead).

A message is a code the templates word through the catalogs: a kind of input error
(`required`, `too-long`, …) or a domain error's code, or an address issue's code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pydantic import ValidationError

from dingdan.platform.errors import DomainError

CHECK_FIELDS = "check-fields"
INPUT_CODES = {
    "missing": "required",
    "string_too_short": "required",
    "too_short": "required",
    "string_too_long": "too-long",
    "int_parsing": "whole-number",
    "int_type": "whole-number",
    "int_from_float": "whole-number",
    "greater_than_equal": "out-of-range",
    "less_than_equal": "out-of-range",
    "greater_than": "out-of-range",
    "less_than": "out-of-range",
    "enum": "choose-one",
    "literal_error": "choose-one",
}


@dataclass(frozen=True)
class FormState:
    """One form of a page as the customer sent it: `values` holds the fields it shows."""

    name: str
    values: Mapping[str, str]
    errors: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)


def refused(form: FormState, exc: ValidationError | DomainError) -> tuple[FormState, str]:
    """The form with a message code for each refused field it shows, and the page's message:
    a pointer to the fields, or the error itself when no field of the form can hold it."""
    placed: dict[str, str] = {}
    for found, code in _field_codes(exc):
        name = form.aliases.get(found, found)
        if name in form.values:
            placed.setdefault(name, code)
    if placed:
        return replace(form, errors=placed), CHECK_FIELDS
    return form, exc.code if isinstance(exc, DomainError) else "invalid-input"


def _field_codes(exc: ValidationError | DomainError) -> Iterator[tuple[str, str]]:
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            yield _last_name(error["loc"]), INPUT_CODES.get(error["type"], "invalid")
        return
    for issue in exc.extra.get("issues") or []:
        yield _last_name(str(issue["field"]).split("/")), str(issue["code"])
    if exc.field:
        yield _last_name(exc.field.replace(".", "/").split("/")), exc.code


def _last_name(path: Sequence[object]) -> str:
    names = [part for part in path if isinstance(part, str) and part]
    return names[-1] if names else ""
