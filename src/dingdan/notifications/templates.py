"""Render a notification from its kind, a locale and a small context dict.

Context values may be `str`, `int`, `Decimal` (money, formatted per locale in the context's
`currency`, TWD by default) or an aware `datetime` (shown in the context's `time_zone`,
Asia/Taipei by default). Floats are refused: money is never a float. `action_url`, when
present, becomes the message's link. Every value is escaped in the HTML part.

    render(MessageKind.ORDER_SHIPPED, Locale.ZH_HANT, {"shop_name": "好物商店", ...})
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel.dates import format_datetime
from babel.numbers import format_currency

from dingdan.notifications.errors import MissingTemplateField, UnknownTemplate
from dingdan.notifications.message_templates import (
    TEMPLATES,
    Locale,
    MessageKind,
    MessageTemplate,
)

DEFAULT_CURRENCY = "TWD"
DEFAULT_TIME_ZONE = "Asia/Taipei"
WHOLE_UNIT_CURRENCIES = frozenset({"TWD", "JPY", "KRW"})
# Parsed once: Babel parses a locale name on every call it is given one.
_BABEL_LOCALES = {Locale.ZH_HANT: BabelLocale.parse("zh_Hant_TW"), Locale.EN: BabelLocale.parse("en")}
_SETTINGS_FIELDS = frozenset({"currency", "time_zone", "action_url"})


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A message ready for every channel: `short` is the SMS text and the console line."""

    subject: str
    short: str
    text: str
    html: str


def template_for(kind: MessageKind, locale: Locale | str) -> MessageTemplate:
    try:
        return TEMPLATES[Locale(locale)][MessageKind(kind)]
    except (KeyError, ValueError):
        raise UnknownTemplate(
            "no template {kind!s} in {locale!s}", params={"kind": kind, "locale": locale}
        ) from None


@lru_cache
def required_fields(kind: MessageKind, locale: Locale | str = Locale.ZH_HANT) -> frozenset[str]:
    """The context fields a template needs."""
    template = template_for(kind, locale)
    parts = (template.subject, template.short, *template.body)
    return frozenset(name for part in parts for _, name, _, _ in string.Formatter().parse(part) if name)


def render(kind: MessageKind, locale: Locale | str, context: Mapping[str, object]) -> RenderedMessage:
    """The message in `locale`; raises `MissingTemplateField` naming every missing field."""
    template = template_for(kind, locale)
    needed = required_fields(kind, locale)
    missing = sorted(needed - context.keys())
    if missing:
        raise MissingTemplateField(missing)
    values = _formatted_values({name: context[name] for name in needed}, context, Locale(locale))
    paragraphs = [part.format_map(values) for part in template.body]
    action_url = _safe_url(context.get("action_url"))
    link = (template.action_label, action_url) if template.action_label and action_url else None
    return RenderedMessage(
        subject=template.subject.format_map(values),
        short=template.short.format_map(values),
        text=_plain_text(paragraphs, link, Locale(locale)),
        html=_html(paragraphs, link, Locale(locale)),
    )


def _safe_url(url: object) -> str | None:
    """The link target if it is a web address (absolute http(s) or site-relative)."""
    if url is None:
        return None
    text = str(url)
    if text.startswith(("https://", "http://")) or (text.startswith("/") and not text.startswith("//")):
        return text
    raise ValueError("action_url must be an http(s) URL or a path on this site")


def _formatted_values(
    fields: Mapping[str, object], context: Mapping[str, object], locale: Locale
) -> dict[str, str]:
    """The fields a template uses, formatted; currency and time zone come from the context."""
    currency = str(context.get("currency", DEFAULT_CURRENCY))
    time_zone = str(context.get("time_zone", DEFAULT_TIME_ZONE))
    return {
        name: _format_value(name, value, locale, currency, time_zone)
        for name, value in fields.items()
        if name not in _SETTINGS_FIELDS
    }


def _format_value(name: str, value: object, locale: Locale, currency: str, tz: str) -> str:
    babel_locale = _BABEL_LOCALES[locale]
    if isinstance(value, Decimal):
        return format_money(value, currency, babel_locale)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")
        return format_datetime(value, "yyyy-MM-dd HH:mm", tzinfo=ZoneInfo(tz), locale=babel_locale)
    if isinstance(value, float | bool):
        raise TypeError(f"{name} must not be a {type(value).__name__}")
    if isinstance(value, str | int):
        return str(value)
    raise TypeError(f"{name} has an unsupported type {type(value).__name__}")


def format_money(amount: Decimal, currency: str, babel_locale: str | BabelLocale) -> str:
    """Money in the locale's way; TWD, JPY and KRW in whole units."""
    if currency in WHOLE_UNIT_CURRENCIES:
        return format_currency(amount, currency, format="¤#,##0", locale=babel_locale, currency_digits=False)
    return format_currency(amount, currency, locale=babel_locale)


def _plain_text(paragraphs: list[str], link: tuple[str, str] | None, locale: Locale) -> str:
    lines = list(paragraphs)
    if link:
        colon = ":" if locale is Locale.ZH_HANT else ": "
        lines.append(f"{link[0]}{colon}{link[1]}")
    return "\n\n".join(lines) + "\n"


def _html(paragraphs: list[str], link: tuple[str, str] | None, locale: Locale) -> str:
    body = [f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs]
    if link:
        label, url = (html.escape(part) for part in link)
        body.append(f'<p><a href="{url}">{label}</a></p>')
    return (
        f'<!DOCTYPE html>\n<html lang="{locale.value}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n{chr(10).join(body)}\n</body>\n</html>\n"
    )
