"""What a customer sees of their own order, and which actions its state offers them.

Customer-safe: no review issues, no intake keys, no internal notes of the merchant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from dingdan.orders.schemas import (
    MAX_LINES,
    MAX_QUANTITY,
    AddressIn,
    PaymentMethod,
    Required64,
    Strict,
    Text1000,
    contact_view,
    shipping_address_view,
)
from dingdan.orders.states import OPEN_STATUSES, TAB_OF, FulfillmentStatus, OrderStatus, PaymentStatus, Tab
from dingdan.platform.money import money_text


class CustomerAction(StrEnum):
    PAY = "pay"
    CANCEL = "cancel"
    CHANGE_ADDRESS = "change_address"
    CONFIRM_RECEIPT = "confirm_receipt"


def customer_actions(order: Mapping[Any, Any]) -> list[CustomerAction]:
    """The actions the order's state allows its customer, in the order a page shows them."""
    status = OrderStatus(order["status"])
    found = []
    unpaid = order["payment_status"] == PaymentStatus.UNPAID.value
    if status is OrderStatus.PENDING_PAYMENT and unpaid and order["payment_method"] == PaymentMethod.ONLINE:
        found.append(CustomerAction.PAY)
    if status is OrderStatus.PENDING_PAYMENT:
        found.append(CustomerAction.CANCEL)
    if status in OPEN_STATUSES and order["fulfillment_status"] == FulfillmentStatus.UNFULFILLED.value:
        found.append(CustomerAction.CHANGE_ADDRESS)
    if status is OrderStatus.DELIVERED:
        found.append(CustomerAction.CONFIRM_RECEIPT)
    return found


class MyLineIn(Strict):
    sku: Required64
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)]


class MyOrderIn(Strict):
    """An order a signed-in customer places: prices, fees and discounts come from the shop."""

    channel: Literal["web", "app"] = "web"
    shipping_address: AddressIn
    lines: Annotated[list[MyLineIn], Field(min_length=1, max_length=MAX_LINES)]
    payment_method: PaymentMethod = PaymentMethod.ONLINE
    note: Text1000 = ""


class ChangeAddressIn(Strict):
    shipping_address: AddressIn


# Answers to customers list every field they carry (additionalProperties: false in the OpenAPI);
# the contract tests fail on any field not declared here, so nothing internal slips out.
CLOSED = ConfigDict(extra="forbid")


class MyLineOut(BaseModel):
    model_config = CLOSED
    line_no: int
    sku: str
    product_name: str
    attributes: dict[str, str]
    quantity: int
    unit_price: str
    line_total: str


class MyPaymentOut(BaseModel):
    model_config = CLOSED
    id: int
    provider: str
    status: str
    amount: str
    created_at: datetime


class MyRefundOut(BaseModel):
    model_config = CLOSED
    id: int
    amount: str
    status: str
    created_at: datetime


class ContactOut(BaseModel):
    model_config = CLOSED
    name: str
    phone: str
    email: str


class ShippingAddressOut(BaseModel):
    model_config = CLOSED
    recipient: str
    phone: str
    country: str
    city: str
    district: str
    postal_code: str
    line1: str
    line2: str


class TrackedEvent(BaseModel):
    model_config = CLOSED
    at: str
    status: str
    reason: str | None
    description: str
    location: str
    city: str


class TrackedParcel(BaseModel):
    """A parcel as its label and its scans show it (also the public tracking lookup's shape)."""

    model_config = CLOSED
    carrier: str
    tracking_number: str
    service: str
    status: str
    reason: str | None
    shipped_at: str | None
    estimated_delivery: str | None
    delivered_at: str | None
    last_event_at: str | None
    current_location: str
    route: list[str]
    notice: str | None
    events: list[TrackedEvent]


class MyOrderOut(BaseModel):
    model_config = CLOSED
    number: str
    status: OrderStatus
    tab: Tab
    payment_status: str
    fulfillment_status: str
    payment_method: str
    currency: str
    contact: ContactOut
    shipping_address: ShippingAddressOut
    lines: list[MyLineOut]
    subtotal: str
    shipping_fee: str
    discount: str
    total: str
    note: str
    actions: list[CustomerAction]
    payment_confirming: bool = Field(
        False, description="the provider says paid; the payment is being applied: do not offer to pay again"
    )
    payments: list[MyPaymentOut]
    refunds: list[MyRefundOut]
    parcels: list[TrackedParcel] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class FirstItemOut(BaseModel):
    model_config = CLOSED
    product_name: str
    attributes: dict[str, str]
    quantity: int
    image_url: str | None


class MyOrderRow(BaseModel):
    model_config = CLOSED
    number: str
    status: OrderStatus
    tab: Tab
    payment_status: str
    currency: str
    total: str
    item_count: int
    first_item: FirstItemOut | None
    more_items: int
    actions: list[CustomerAction]
    created_at: datetime


class MyOrderPage(BaseModel):
    model_config = CLOSED
    items: list[MyOrderRow]
    next_cursor: str | None
    counts: dict[str, int]


def line_view(line: Mapping[Any, Any], currency: str) -> dict[str, Any]:
    return {
        "line_no": line["line_no"],
        "sku": line["sku"],
        "product_name": line["product_name"],
        "attributes": line["attributes"],
        "quantity": line["quantity"],
        "unit_price": money_text(line["unit_price"], currency),
        "line_total": money_text(line["line_total"], currency),
    }


def my_order_row(
    order: Mapping[Any, Any], lines: Sequence[Mapping[Any, Any]], image_url: str | None
) -> dict[str, Any]:
    """One row of "my orders": number, time, the first product with its image, +N more, amount."""
    first = min(lines, key=lambda ln: ln["line_no"]) if lines else None
    return {
        "number": order["number"],
        "status": order["status"],
        "tab": TAB_OF[OrderStatus(order["status"])].value,
        "payment_status": order["payment_status"],
        "currency": order["currency"],
        "total": money_text(order["total"], order["currency"]),
        "item_count": order["item_count"],
        "first_item": None
        if first is None
        else {
            "product_name": first["product_name"],
            "attributes": first["attributes"],
            "quantity": first["quantity"],
            "image_url": image_url,
        },
        "more_items": max(len(lines) - 1, 0),
        "actions": [a.value for a in customer_actions(order)],
        "created_at": order["created_at"].isoformat(),
    }


def my_order_detail(
    order: Mapping[Any, Any],
    lines: Sequence[Mapping[Any, Any]],
    payments: Sequence[Mapping[Any, Any]] = (),
    refunds: Sequence[Mapping[Any, Any]] = (),
) -> dict[str, Any]:
    cur = order["currency"]
    return {
        "number": order["number"],
        "status": order["status"],
        "tab": TAB_OF[OrderStatus(order["status"])].value,
        "payment_status": order["payment_status"],
        "fulfillment_status": order["fulfillment_status"],
        "payment_method": order["payment_method"],
        "currency": cur,
        "contact": contact_view(order),
        "shipping_address": shipping_address_view(order),
        "lines": [line_view(ln, cur) for ln in sorted(lines, key=lambda x: x["line_no"])],
        "subtotal": money_text(order["subtotal"], cur),
        "shipping_fee": money_text(order["shipping_fee"], cur),
        "discount": money_text(order["discount_total"], cur),
        "total": money_text(order["total"], cur),
        "note": order["note"],
        "actions": [a.value for a in customer_actions(order)],
        "payments": [_money_item(p, cur, "provider") for p in payments],
        "refunds": [_money_item(r, cur) for r in refunds],
        "created_at": order["created_at"].isoformat(),
        "updated_at": order["updated_at"].isoformat(),
    }


def _money_item(item: Mapping[Any, Any], currency: str, *extra: str) -> dict[str, Any]:
    return {
        "id": item["id"],
        **{name: item[name] for name in extra},
        "status": item["status"],
        "amount": money_text(item["amount"], currency),
        "created_at": item["created_at"].isoformat(),
    }
