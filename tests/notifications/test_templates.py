"""Message templates render in zh-Hant and English from a small context."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dingdan.notifications.errors import MissingTemplateField, UnknownTemplate
from dingdan.notifications.message_templates import TEMPLATES, Locale, MessageKind
from dingdan.notifications.templates import render, required_fields

PLACED = datetime(2025, 6, 8, 6, 23, tzinfo=UTC)  # 14:23 in Taipei

FULL_CONTEXT: dict[str, object] = {
    "shop_name": "好物商店",
    "customer_name": "王小明",
    "order_number": "DD20250608-0001",
    "placed_at": PLACED,
    "pay_by": datetime(2025, 6, 8, 6, 53, tzinfo=UTC),
    "delivered_at": datetime(2025, 6, 10, 3, 5, tzinfo=UTC),
    "total": Decimal("1280"),
    "amount": Decimal("1280"),
    "carrier": "黑貓宅急便",
    "tracking_number": "123456789012",
    "code": "482913",
    "expires_minutes": 15,
    "exception_reason": "地址不詳",
    "channel": "官網",
    "reason": "收貨地址與帳單地址不符",
    "sku": "TEA-001-M",
    "product_name": "高山烏龍茶",
    "warehouse": "台北倉",
    "available": 3,
    "threshold": 5,
    "action_url": "https://haowu.example/account/orders/DD20250608-0001",
}


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_message_renders_completely(kind: MessageKind, locale: Locale) -> None:
    message = render(kind, locale, FULL_CONTEXT)
    for part in (message.subject, message.short, message.text, message.html):
        assert part.strip()
        assert "{" not in part and "}" not in part
    if kind.value.startswith("account."):  # about the account, not an order: the code says it
        assert "482913" in message.short and "482913" not in message.subject
    else:
        assert "DD20250608-0001" in message.subject or "TEA-001-M" in message.subject


def test_both_languages_cover_every_message_with_the_same_fields() -> None:
    assert set(TEMPLATES[Locale.ZH_HANT]) == set(TEMPLATES[Locale.EN]) == set(MessageKind)
    for kind in MessageKind:
        assert required_fields(kind, Locale.ZH_HANT) == required_fields(kind, Locale.EN)


@pytest.mark.parametrize(
    ("kind", "terms"),
    [
        (MessageKind.ORDER_RECEIVED, ["待付款", "2025-06-08 14:53"]),
        (MessageKind.ORDER_PAID, ["待發貨", "$1,280"]),
        (MessageKind.ORDER_CONFIRMED, ["已確認", "待發貨"]),
        (MessageKind.ORDER_SHIPPED, ["已發貨", "物流單號:123456789012", "黑貓宅急便"]),
        (MessageKind.OUT_FOR_DELIVERY, ["派送", "123456789012"]),
        (MessageKind.DELIVERED, ["2025-06-10 11:05", "確認收貨", "已完成"]),
        (MessageKind.DELIVERY_EXCEPTION, ["異常", "地址不詳"]),
        (MessageKind.REFUND_ISSUED, ["退款", "$1,280"]),
    ],
)
def test_customer_messages_in_zh_hant_use_the_storefront_terms(kind: MessageKind, terms: list[str]) -> None:
    message = render(kind, Locale.ZH_HANT, FULL_CONTEXT)
    for term in terms:
        assert term in message.text
    assert message.subject.startswith("【好物商店】")


def test_english_shipping_message() -> None:
    message = render(MessageKind.ORDER_SHIPPED, Locale.EN, FULL_CONTEXT)
    assert message.subject == "[好物商店] Order DD20250608-0001 has shipped"
    assert "Tracking number: 123456789012" in message.text
    assert message.html.startswith('<!DOCTYPE html>\n<html lang="en">')


def test_money_is_formatted_per_locale_and_currency() -> None:
    context = {**FULL_CONTEXT, "amount": Decimal("1280")}
    assert "NT$1,280" in render(MessageKind.ORDER_PAID, Locale.EN, context).short
    assert "$1,280" in render(MessageKind.ORDER_PAID, Locale.ZH_HANT, context).short
    in_dollars = {**FULL_CONTEXT, "amount": Decimal("12.5"), "currency": "USD"}
    assert "$12.50" in render(MessageKind.ORDER_PAID, Locale.EN, in_dollars).short
    assert "US$12.50" in render(MessageKind.ORDER_PAID, Locale.ZH_HANT, in_dollars).short


def test_merchant_low_stock_alert() -> None:
    message = render(MessageKind.LOW_STOCK, Locale.ZH_HANT, FULL_CONTEXT)
    assert message.short == "庫存預警:TEA-001-M 在 台北倉 可用庫存 3,低於預警值 5。"
    assert MessageKind.LOW_STOCK.for_merchant and not MessageKind.DELIVERED.for_merchant


def test_missing_fields_are_named() -> None:
    context = {k: v for k, v in FULL_CONTEXT.items() if k not in {"carrier", "tracking_number"}}
    with pytest.raises(MissingTemplateField) as missing:
        render(MessageKind.ORDER_SHIPPED, Locale.EN, context)
    assert missing.value.missing == ["carrier", "tracking_number"]


def test_values_are_escaped_in_html_but_kept_in_text() -> None:
    context = {**FULL_CONTEXT, "customer_name": '<script>alert("x")</script>'}
    message = render(MessageKind.ORDER_PAID, Locale.EN, context)
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert '<script>alert("x")</script>' in message.text


def test_the_action_link_appears_in_text_and_html() -> None:
    message = render(MessageKind.ORDER_SHIPPED, Locale.ZH_HANT, FULL_CONTEXT)
    url = FULL_CONTEXT["action_url"]
    assert f"追蹤包裹:{url}" in message.text
    assert f'<a href="{url}">追蹤包裹</a>' in message.html


def test_no_link_without_an_action_url() -> None:
    context = {k: v for k, v in FULL_CONTEXT.items() if k != "action_url"}
    assert "<a " not in render(MessageKind.ORDER_SHIPPED, Locale.EN, context).html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "data:text/html,hi"])
def test_a_link_that_is_not_a_web_address_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        render(MessageKind.ORDER_SHIPPED, Locale.EN, {**FULL_CONTEXT, "action_url": url})


def test_money_as_float_and_naive_times_are_refused() -> None:
    with pytest.raises(TypeError):
        render(MessageKind.ORDER_PAID, Locale.EN, {**FULL_CONTEXT, "amount": 1280.0})
    with pytest.raises(ValueError):
        render(
            MessageKind.DELIVERED,
            Locale.EN,
            {**FULL_CONTEXT, "delivered_at": datetime(2025, 6, 10)},
        )


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(UnknownTemplate):
        render(MessageKind.ORDER_PAID, "fr", FULL_CONTEXT)
