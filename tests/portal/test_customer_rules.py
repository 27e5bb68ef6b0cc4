"""Pure rules: contacts, masking, and the actions an order's state offers its customer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dingdan.customers import rules
from dingdan.orders.customer_view import CustomerAction, customer_actions
from dingdan.orders.states import OrderStatus


@given(st.from_regex(r"09\d{8}", fullmatch=True), st.sampled_from(["", " ", "-"]))
def test_every_spelling_of_a_taiwan_mobile_is_the_same_account(number, separator):
    spelled = [number, f"+886{number[1:]}", f"{number[:4]}{separator}{number[4:7]}{separator}{number[7:]}"]
    assert {rules.classify_contact(s) for s in spelled} == {(rules.ContactKind.MOBILE, number)}


@given(st.emails())
def test_emails_are_recognised_and_folded_to_lower_case(email):
    kind, value = rules.classify_contact(email.upper()) or (None, None)
    assert kind is rules.ContactKind.EMAIL and value == email.upper().lower()


def test_neither_email_nor_mobile_is_refused():
    for text in ["", "hello", "12345", "a@b", "0812345678"]:
        assert rules.classify_contact(text) is None


def test_masked_contacts_keep_only_a_hint():
    assert rules.masked("mei@example.com") == "m***@example.com"
    assert rules.masked("0912345678") == "09****5678"


def _order(status, payment_status="unpaid", fulfillment="unfulfilled", method="online"):
    return {
        "status": status,
        "payment_status": payment_status,
        "fulfillment_status": fulfillment,
        "payment_method": method,
    }


@given(
    st.sampled_from(list(OrderStatus)),
    st.sampled_from(["unpaid", "paid", "refunded"]),
    st.sampled_from(["unfulfilled", "partially_shipped", "shipped", "delivered"]),
    st.sampled_from(["online", "cod", "bank_transfer"]),
)
def test_actions_follow_the_state(status, payment_status, fulfillment, method):
    actions = customer_actions(_order(status, payment_status, fulfillment, method))
    if CustomerAction.PAY in actions:
        assert status is OrderStatus.PENDING_PAYMENT and payment_status == "unpaid" and method == "online"
    assert (CustomerAction.CANCEL in actions) == (status is OrderStatus.PENDING_PAYMENT)
    if CustomerAction.CHANGE_ADDRESS in actions:
        assert fulfillment == "unfulfilled"
        assert status not in {
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
            OrderStatus.COMPLETED,
            OrderStatus.CANCELLED,
        }
    assert (CustomerAction.CONFIRM_RECEIPT in actions) == (status is OrderStatus.DELIVERED)
