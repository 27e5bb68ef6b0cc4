"""zh-Hant (default) and English through gettext catalogs, compiled in memory at start-up.

The catalogs are the .po files under web/locale/<locale>/LC_MESSAGES/ (one file per area of
the interface, merged at start-up); msgids are English. Pick the language with
?lang=en|zh_Hant (kept in a cookie), else the cookie, else Accept-Language.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

from dingdan.platform.money import format_money

LOCALES = ("zh_Hant", "en")
DEFAULT_LOCALE = "zh_Hant"
LOCALE_COOKIE = "dd_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
SHOP_TZ = ZoneInfo("Asia/Taipei")


@lru_cache
def translations(locale: str) -> Translations:
    catalog = None
    for po_path in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po:
            part = read_po(po, locale=locale)
        if catalog is None:
            catalog = part
        else:
            for message in part:
                if message.id:
                    catalog[message.id] = message
    assert catalog is not None, f"no catalog for {locale}"
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def named_locale(name: str | None) -> str | None:
    """The locale `name` names (zh_Hant, or zh-Hant as a language tag spells it), if we speak it."""
    locale = (name or "").replace("-", "_")
    return locale if locale in LOCALES else None


def pick_locale(request: Request, default: str = DEFAULT_LOCALE) -> str:
    asked = named_locale(request.query_params.get("lang") or request.cookies.get(LOCALE_COOKIE))
    return asked or header_locale(request.headers.get("accept-language", "")) or default


def header_locale(header: str) -> str | None:
    """The locale of the most wanted language of an Accept-Language header we speak, if any."""
    for tag in _by_weight(header):
        primary = tag.split("-")[0]
        if primary == "en":
            return "en"
        if primary == "zh":
            return "zh_Hant"
    return None


def _by_weight(header: str) -> list[str]:
    weighted = []
    for position, item in enumerate(header.lower().split(",")):
        tag, *options = (part.strip() for part in item.split(";"))
        quality = next((_quality(o[2:]) for o in options if o.startswith("q=")), 1.0)
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _quality(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def gettext(locale: str, message: str) -> str:
    return translations(locale).ugettext(message)


def money(amount: Decimal | str, currency: str, locale: str) -> str:
    return format_money(Decimal(str(amount)), currency, locale)


def when(value: datetime | str | None, locale: str, fmt: str = "short") -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment.astimezone(SHOP_TZ), fmt, locale=locale)
