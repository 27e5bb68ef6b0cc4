"""Pricing, totals and review rules, without a database."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dingdan.orders import rules
from dingdan.orders.states import OrderStatus
from dingdan.platform.money import money_text, round_money

prices = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)


@given(st.lists(st.tuples(prices, st.integers(1, 99)), min_size=1, max_size=8), prices, prices)
def test_total_is_lines_plus_shipping_minus_discount_rounded_once(lines, shipping, discount):
    subtotal = sum((price * qty for price, qty in lines), Decimal(0))
    total = rules.order_total(subtotal, shipping, discount, "USD")
    assert total == (subtotal + shipping - discount).quantize(Decimal("0.01"))
    twd = rules.order_total(subtotal, shipping, discount, "TWD")
    assert twd == twd.to_integral_value()
    assert abs(twd - (subtotal + shipping - discount)) <= Decimal("0.5")


def test_twd_rounds_half_up_to_whole_dollars():
    assert round_money(Decimal("100.50"), "TWD") == Decimal("101.00")
    assert round_money(Decimal("100.49"), "TWD") == Decimal("100.00")
    assert money_text(Decimal("101.00"), "TWD") == "101"
    assert money_text(Decimal("99.50"), "TWD") == "99.50"  # a marketplace price with cents stays exact


def test_free_shipping_from_the_threshold():
    assert rules.shipping_fee_for(Decimal(999), Decimal(80), Decimal(1000)) == Decimal(80)
    assert rules.shipping_fee_for(Decimal(1000), Decimal(80), Decimal(1000)) == 0


def test_taiwan_phone_numbers():
    for good in ("0912345678", "0912-345-678", "+886 912 345 678", "02-2345-6789", "(07)1234567"):
        assert rules.phone_is_valid(good, "TW"), good
    for bad in ("12345", "0912", "09123456789", "abc"):
        assert not rules.phone_is_valid(bad, "TW"), bad
    assert rules.normalize_phone("+886-912-345-678") == "0912345678"


def test_address_check_names_the_field():
    address = {
        "country": "TW",
        "city": "台北市",
        "district": "大安區",
        "postal_code": "106",
        "line1": "x",
        "phone": "0912345678",
    }
    assert rules.address_issues(address) == []
    wrong = {**address, "postal_code": "320"}
    assert rules.address_issues(wrong) == [
        rules.issue("address_postal_code_mismatch", "/shipping_address/postal_code")
    ]
    abroad = {
        **address,
        "country": "JP",
        "city": "Tokyo",
        "district": "Shibuya",
        "postal_code": "150-0002",
        "line1": "1-2-3 Jingumae",
        "phone": "+81312345678",
    }
    assert rules.address_issues(abroad) == []


def test_line_fingerprint_ignores_line_order():
    assert rules.line_fingerprint([("A", 1), ("B", 2)]) == rules.line_fingerprint([("B", 2), ("A", 1)])
    assert rules.line_fingerprint([("A", 1)]) != rules.line_fingerprint([("A", 2)])


def test_initial_status():
    assert (
        rules.initial_status(needs_payment=True, has_issues=False, auto_confirm=True)
        is OrderStatus.PENDING_PAYMENT
    )
    assert (
        rules.initial_status(needs_payment=False, has_issues=True, auto_confirm=True)
        is OrderStatus.PENDING_REVIEW
    )
    assert (
        rules.initial_status(needs_payment=False, has_issues=False, auto_confirm=False)
        is OrderStatus.PENDING_REVIEW
    )
    assert (
        rules.initial_status(needs_payment=False, has_issues=False, auto_confirm=True)
        is OrderStatus.CONFIRMED
    )
