"""S-ERR-3: API errors speak zh-Hant or English; `type`, `status` and the fields named do not
change with the language, `title` and `detail` come from the `problems` catalogs."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import string
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

import dingdan
from dingdan.platform.errors import DomainError
from dingdan.web import i18n, problems
from factories.shop import make_sku, order_body

SRC = Path(dingdan.__file__).parent
ZH = {"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def every_domain_error() -> set[type[DomainError]]:
    for module in pkgutil.walk_packages(dingdan.__path__, "dingdan."):
        if ".migrations" not in module.name and ".fonts" not in module.name:
            importlib.import_module(module.name)
    found: set[type[DomainError]] = set()
    waiting = [DomainError]
    while waiting:
        cls = waiting.pop()
        found.add(cls)
        waiting.extend(cls.__subclasses__())
    return found


def zh_lacks(message: str) -> bool:
    return i18n.gettext("zh_Hant", message) == message


def placeholders(template: str) -> list[tuple[str, str | None]]:
    return sorted((name, conversion) for _, name, _, conversion in string.Formatter().parse(template) if name)


def detail_templates() -> set[str]:
    """Every literal detail given to a DomainError subclass in the source (first argument)."""
    names = {cls.__name__ for cls in every_domain_error()}
    field_first = {"MarketplacePayloadError"}  # (field, message): the message is a template's value
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
                first = node.args[0]
                is_text = isinstance(first, ast.Constant) and isinstance(first.value, str)
                if node.func.id in names - field_first and is_text:
                    found.add(first.value)
    return found


def test_s_err_3_every_domain_error_and_status_title_has_a_zh_hant_translation():
    errors = every_domain_error()
    assert len(errors) > 80  # the walk found the domains' errors, not just the base classes
    titles = {cls.title for cls in errors} | {problems.status_title(s) for s in problems.STATUS_CODES}
    assert sorted(t for t in titles if zh_lacks(t)) == []


def test_s_err_3_every_detail_template_has_a_zh_hant_translation_with_the_same_placeholders():
    templates = detail_templates()
    assert "no order {number}" in templates
    assert sorted(t for t in templates if zh_lacks(t)) == []
    changed = [t for t in templates if placeholders(i18n.gettext("zh_Hant", t)) != placeholders(t)]
    assert changed == []


def test_s_err_3_problem_catalogs_are_not_overridden_and_english_is_the_msgid():
    for locale in i18n.LOCALES:
        path = i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "problems.po"
        with path.open("rb") as po:
            entries = [m for m in read_po(po, locale=locale) if m.id]
        assert entries
        wrong = [m.id for m in entries if i18n.gettext(locale, str(m.id)) != m.string]
        assert wrong == []
        if locale == "en":
            assert [m.id for m in entries if m.string != m.id] == []


def test_s_err_3_a_bad_translation_falls_back_to_english():
    assert problems.localise("en", "no order {number}", {"number": "DD1"}) == "no order DD1"
    assert problems.localise("zh_Hant", "no order {number}", {"number": "DD1"}) == "找不到訂單 DD1"
    assert problems.localise("zh_Hant", "never translated {x}", {"x": 1}) == "never translated 1"


def test_s_err_3_accept_language_picks_the_most_wanted_language_dingdan_speaks():
    assert i18n.header_locale("fr, en;q=0.5") == "en"
    assert i18n.header_locale("en;q=0.1, zh-Hant") == "zh_Hant"
    assert i18n.header_locale("de") is None


def same_problem(en: Any, zh: Any, status: int, type_: str) -> tuple[dict[str, Any], dict[str, Any]]:
    assert (en.status_code, zh.status_code) == (status, status), (en.text, zh.text)
    one, other = en.json(), zh.json()
    assert en.headers["content-type"] == zh.headers["content-type"] == "application/problem+json"
    assert one["type"] == other["type"] == type_
    assert one["status"] == other["status"] == status
    assert [e["field"] for e in one["errors"]] == [e["field"] for e in other["errors"]]
    assert one["title"] != other["title"] and one["detail"] != other["detail"]
    return one, other


async def test_s_err_3_unknown_order_404_in_both_languages(client, login):
    headers = await login("clerk")
    en = await client.get("/api/v1/orders/DD99999", headers=headers)
    zh = await client.get("/api/v1/orders/DD99999", headers=headers | ZH)
    one, other = same_problem(en, zh, 404, "/problems/order-not-found")
    assert (one["title"], one["detail"]) == ("Order not found", "no order DD99999")
    assert (other["title"], other["detail"]) == ("找不到訂單", "找不到訂單 DD99999")
    assert other["errors"] == [{"field": "/number", "message": "找不到訂單 DD99999"}]
    named = await client.get("/api/v1/orders/DD99999?lang=zh_Hant", headers=headers | EN)
    assert named.json() == other  # ?lang wins over the header


async def test_s_err_3_invalid_field_422_in_both_languages(client, db, login):
    sku = await make_sku(db)
    body = order_body((sku, 1))
    body["lines"][0]["quantity"] = "many"
    headers = await login("clerk")
    en = await client.post("/api/v1/orders", json=body, headers=headers | EN)
    zh = await client.post("/api/v1/orders", json=body, headers=headers | ZH)
    one, other = same_problem(en, zh, 422, "/problems/invalid-input")
    assert one["errors"][0]["field"] == "/lines/0/quantity"
    assert (one["title"], one["detail"]) == ("Invalid input", "invalid value at /lines/0/quantity")
    assert (other["title"], other["detail"]) == ("輸入無效", "/lines/0/quantity 的值無效")


async def test_s_err_3_out_of_stock_409_in_both_languages(client, db, login):
    sku = await make_sku(db, stock=1)
    headers = await login("clerk")
    en = await client.post("/api/v1/orders", json=order_body((sku, 2)), headers=headers)
    zh = await client.post("/api/v1/orders", json=order_body((sku, 2)), headers=headers | ZH)
    one, other = same_problem(en, zh, 409, "/problems/out-of-stock")
    assert (one["title"], other["title"]) == ("Out of stock", "庫存不足")
    assert one["detail"] == f"not enough stock for {sku}" and other["detail"] == f"{sku} 庫存不足"


async def test_s_err_3_invalid_transition_409_in_both_languages(client, db, login):
    sku = await make_sku(db)
    headers = await login("clerk")
    number = (await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=headers)).json()[
        "number"
    ]
    assert (await client.post(f"/api/v1/orders/{number}/cancel", headers=headers)).status_code == 200
    en = await client.post(f"/api/v1/orders/{number}/cancel", headers=headers)
    zh = await client.post(f"/api/v1/orders/{number}/cancel", headers=headers | ZH)
    one, other = same_problem(en, zh, 409, "/problems/invalid-transition")
    assert one["title"] == "The order's status does not allow this"
    assert other["title"] == "訂單目前的狀態不允許此操作"
    assert "cancelled" in one["detail"] and "無法變為" in other["detail"]


async def test_s_err_3_missing_token_401_in_both_languages_and_pages_default_to_zh_hant(client):
    en = await client.get("/api/v1/orders")
    zh = await client.get("/api/v1/orders", headers=ZH)
    one, other = same_problem(en, zh, 401, en.json()["type"])
    assert one["type"].startswith("/problems/") and en.headers.get("www-authenticate") == zh.headers.get(
        "www-authenticate"
    )
    assert all(ord(c) < 128 for c in one["title"] + one["detail"])
    assert any("\u4e00" <= c <= "\u9fff" for c in other["title"] + other["detail"])
    page = await client.get("/no-such-page")
    assert page.status_code == 404 and page.json()["title"] == "找不到"
    machine = await client.get("/api/v1/no-such-route")
    assert machine.status_code == 404 and machine.json()["title"] == "Not found"


async def test_s_err_3_body_too_large_413_in_both_languages(client, login):
    headers = await login("clerk") | {"Content-Type": "application/json"}
    body = b'{"note": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    en = await client.post("/api/v1/orders", content=body, headers=headers)
    zh = await client.post("/api/v1/orders", content=body, headers=headers | ZH)
    one, other = same_problem(en, zh, 413, "/problems/body-too-large")
    assert (one["title"], other["title"]) == ("Request body too large", "請求內容太大")
