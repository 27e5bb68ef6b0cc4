"""Words for codes the console shows: statuses, review issues, timeline entries.

Values are English msgids; templates pass them through the catalogs (`_`). Review issues
and timeline entries carry their parameters, filled in after translation.
"""

from __future__ import annotations

from typing import Any

STATUS = {
    "pending_payment": "Pending payment",
    "pending_review": "Pending review",
    "confirmed": "Confirmed",
    "partially_shipped": "Partially shipped",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
STATUS_TONE = {
    "pending_payment": "warn",
    "pending_review": "warn",
    "confirmed": "info",
    "partially_shipped": "info",
    "shipped": "ok",
    "delivered": "ok",
    "completed": "ok",
    "cancelled": "muted",
}
TABS = {
    "all": "All",
    "pending_payment": "Pending payment",
    "pending_review": "Pending review",
    "confirmed": "To ship",
    "shipped": "Shipped",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
PAYMENT = {
    "unpaid": "Unpaid",
    "paid": "Paid",
    "partially_refunded": "Partially refunded",
    "refunded": "Refunded",
}
PAYMENT_TONE = {"unpaid": "warn", "paid": "ok", "partially_refunded": "info", "refunded": "muted"}
FULFILMENT = {
    "unfulfilled": "Not shipped",
    "partially_shipped": "Partially shipped",
    "shipped": "Shipped",
    "delivered": "Delivered",
}
FULFILMENT_TONE = {"unfulfilled": "muted", "partially_shipped": "info", "shipped": "ok", "delivered": "ok"}
PAYMENT_METHOD = {"online": "Online payment", "cod": "Cash on delivery", "bank_transfer": "Bank transfer"}
ISSUES = {
    "price_mismatch": "Price {offered} differs from the catalog price {catalog}",
    "quantity_above_limit": "Quantity {quantity} is above the review limit of {limit}",
    "product_inactive": "{sku} is no longer on sale",
    "backordered": "{missing} × {sku} waiting for stock",
    "address_unknown_county": "The county or city is not one of Taiwan's",
    "address_unknown_district": "The district is not in this county or city",
    "address_postal_code_mismatch": "The postal code does not match the district",
    "address_postal_code_invalid": "The postal code is not valid",
    "address_incomplete": "The address is incomplete",
    "phone_invalid": "The phone number is not valid",
    "duplicate_suspected": "Possibly a duplicate of order {order}",
}
ISSUE_FIELDS = {
    "/customer/phone": "Customer phone",
    "/shipping_address/phone": "Recipient phone",
}
PAYMENT_STATE = {
    "pending": "Waiting for the customer",
    "failed": "Payment failed",
    **PAYMENT,
}
FLAG_REASON = {
    "order_cancelled": "Paid after the order was cancelled",
    "order_already_paid": "The order was already paid",
    "amount_mismatch": "The amount differs from the order",
}
REFUND_STATE = {"queued": "Refund queued", "refunded": "Refunded", "failed": "Refund failed"}
TIMELINE = {
    "order.placed": "Order placed",
    "order.edited": "Order edited",
    "order.corrected": "Contact details corrected",
    "order.note_added": "Internal note",
    "order.review_accepted": "Review issues accepted",
    "order.backorder_reserved": "Waiting stock reserved",
    "order.paid": "Payment received",
    "order.payment_failed": "Payment failed",
    "order.payment_needs_refund": "Payment received for an order that cannot take it: to refund",
    "order.refund_requested": "Refund requested",
    "order.refunded": "Refunded",
    "order.refund_failed": "Refund failed",
    "order.auto_refund_skipped": "Automatic refund not needed",
}


def issue_text(translate: Any, issue: dict[str, Any]) -> str:
    template = ISSUES.get(issue.get("code", ""))
    if template is None:
        return str(issue.get("code", ""))
    text = str(translate(template)).format(**{k: v for k, v in issue.get("params", {}).items()})
    where = ISSUE_FIELDS.get(issue.get("field", ""))
    return f"{translate(where)}: {text}" if where else text


def timeline_title(translate: Any, topic: str, payload: dict[str, Any]) -> str:
    if topic == "order.refund_requested" and payload.get("automatic"):
        return str(translate("Automatic refund queued"))
    if topic in TIMELINE:
        return str(translate(TIMELINE[topic]))
    status = topic.removeprefix("order.")
    if status in STATUS:
        return str(translate("Status: {status}")).format(status=translate(STATUS[status]))
    return topic


def actor_name(translate: Any, actor: str) -> str:
    if actor == "system" or actor.startswith("system:"):
        return str(translate("System"))
    return actor.partition(":")[2] or actor


def words(translate: Any) -> dict[str, Any]:
    """Template globals for the console pages."""
    return {
        "STATUS": STATUS,
        "STATUS_TONE": STATUS_TONE,
        "TAB_NAMES": TABS,
        "PAYMENT": PAYMENT,
        "PAYMENT_TONE": PAYMENT_TONE,
        "FULFILMENT": FULFILMENT,
        "FULFILMENT_TONE": FULFILMENT_TONE,
        "PAYMENT_METHOD": PAYMENT_METHOD,
        "PAYMENT_STATE": PAYMENT_STATE,
        "FLAG_REASON": FLAG_REASON,
        "REFUND_STATE": REFUND_STATE,
        "issue_text": lambda issue: issue_text(translate, issue),
        "timeline_title": lambda topic, payload: timeline_title(translate, topic, payload),
        "actor_name": lambda actor: actor_name(translate, actor),
    }


def render_console(request: Any, name: str, context: dict[str, Any] | None = None, status: int = 200) -> Any:
    """`render` with the words above available to the template."""
    from dingdan.web import i18n
    from dingdan.web.pages.templating import render

    translate = i18n.translations(i18n.pick_locale(request)).ugettext
    return render(request, name, {**words(translate), **(context or {})}, status=status)
