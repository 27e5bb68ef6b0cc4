"""Jinja2 templates with the catalogs, CSRF token and locale of the request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from dingdan.platform.errors import DomainError
from dingdan.web import i18n
from dingdan.web.pages.session import can
from dingdan.web.problems import localise

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def refusal_text(request: Request, error: DomainError) -> str:
    """Why an action was refused, in the page's language."""
    return localise(i18n.pick_locale(request), error.template, error.params)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    locale = i18n.pick_locale(request)
    tr = i18n.translations(locale)
    context = dict(context or {})
    context.update(
        locale=locale,
        _=tr.ugettext,
        gettext=tr.ugettext,
        ngettext=tr.ungettext,
        money=lambda amount, currency="TWD": i18n.money(amount, currency, locale),
        when=lambda value, fmt="short": i18n.when(value, locale, fmt),
        csrf_token=getattr(request.state, "csrf_token", ""),
        staff=getattr(request.state, "staff", None),
        can=lambda permission: can(getattr(request.state, "staff", None), permission),
        path=request.url.path,
        refusal=lambda error: localise(locale, error.template, error.params),
    )
    response = templates.TemplateResponse(request, name, context, status_code=status)
    if i18n.named_locale(request.query_params.get("lang")):
        response.set_cookie(i18n.LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
