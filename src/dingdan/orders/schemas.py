"""Shapes of orders over the API: strict on the way in, one view function on the way out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from dingdan.orders.states import TAB_OF, OrderStatus
from dingdan.platform.money import money_text

Required12 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]
Required32 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Required60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Required64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Required120 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Required200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Text1000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("99999999.99"), decimal_places=2)]
MAX_LINES = 100
MAX_QUANTITY = 9999


class PaymentMethod(StrEnum):
    ONLINE = "online"
    COD = "cod"
    BANK_TRANSFER = "bank_transfer"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(Strict):
    name: Required120
    phone: Required32
    email: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    ] = ""


class AddressIn(Strict):
    recipient: Required120
    phone: Required32
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
    ] = "TW"
    city: Required60
    district: Required60
    postal_code: Required12
    line1: Required200
    line2: Text200 = ""


class LineIn(Strict):
    sku: Required64
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)]
    unit_price: Amount | None = None


class OrderIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "web",
                    "external_id": "WEB-10001",
                    "customer": {"name": "王小明", "phone": "0912345678", "email": "ming@example.com"},
                    "shipping_address": {
                        "recipient": "王小明",
                        "phone": "0912345678",
                        "country": "TW",
                        "city": "臺北市",
                        "district": "大安區",
                        "postal_code": "106",
                        "line1": "復興南路一段 100 號 5 樓",
                    },
                    "lines": [{"sku": "CUP-500-BLK", "quantity": 2}],
                    "payment_method": "cod",
                    "note": "請下午送達",
                }
            ]
        },
    )

    channel: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z0-9_\-]+$")
    ]
    external_id: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None
    ) = None
    customer: CustomerIn
    shipping_address: AddressIn
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]
    payment_method: PaymentMethod
    note: Text1000 = ""
    shipping_fee: Amount | None = None
    discount: Amount = Decimal("0")


class ReasonIn(Strict):
    reason: Text500 = ""


class ReviewIssueOut(BaseModel):
    code: str
    field: str
    params: dict[str, Any] = {}


class LineOut(BaseModel):
    line_no: int
    sku: str
    product_name: str
    attributes: dict[str, str]
    quantity: int
    unit_price: str
    line_total: str
    backordered_quantity: int


class OrderOut(BaseModel):
    number: str
    channel: str
    external_id: str | None
    status: OrderStatus
    tab: str
    payment_status: str
    fulfillment_status: str
    payment_method: str
    currency: str
    customer: dict[str, str]
    shipping_address: dict[str, str]
    lines: list[LineOut]
    subtotal: str
    shipping_fee: str
    discount: str
    total: str
    review_issues: list[ReviewIssueOut]
    note: str
    created_at: datetime
    updated_at: datetime


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class TimelineEntry(BaseModel):
    id: int
    seq: int | None = Field(
        None,
        description="The order's version after this change: strictly increasing along one order's "
        "timeline (gaps allowed). Events written before sequence numbers existed have none.",
    )
    topic: str
    actor: str
    at: datetime
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    data: dict[str, Any]


def contact_view(order: Mapping[Any, Any]) -> dict[str, str]:
    """Who ordered, as the order keeps it."""
    return {
        "name": order["customer_name"],
        "phone": order["customer_phone"],
        "email": order["customer_email"],
    }


def shipping_address_view(order: Mapping[Any, Any]) -> dict[str, str]:
    """Where the order goes, as the order keeps it."""
    return {
        "recipient": order["ship_recipient"],
        "phone": order["ship_phone"],
        "country": order["ship_country"],
        "city": order["ship_city"],
        "district": order["ship_district"],
        "postal_code": order["ship_postal_code"],
        "line1": order["ship_line1"],
        "line2": order["ship_line2"],
    }


def order_view(order: Mapping[Any, Any], lines: Sequence[Mapping[Any, Any]]) -> dict[str, Any]:
    """The JSON of an order, the same whether built at placement or read back later."""
    cur = order["currency"]
    return {
        "number": order["number"],
        "channel": order["channel_code"],
        "external_id": order["external_id"],
        "status": order["status"],
        "tab": TAB_OF[OrderStatus(order["status"])].value,
        "payment_status": order["payment_status"],
        "fulfillment_status": order["fulfillment_status"],
        "payment_method": order["payment_method"],
        "currency": cur,
        "customer": contact_view(order),
        "shipping_address": shipping_address_view(order),
        "lines": [
            {
                "line_no": ln["line_no"],
                "sku": ln["sku"],
                "product_name": ln["product_name"],
                "attributes": ln["attributes"],
                "quantity": ln["quantity"],
                "unit_price": money_text(ln["unit_price"], cur),
                "line_total": money_text(ln["line_total"], cur),
                "backordered_quantity": ln["backordered_quantity"],
            }
            for ln in sorted(lines, key=lambda x: x["line_no"])
        ],
        "subtotal": money_text(order["subtotal"], cur),
        "shipping_fee": money_text(order["shipping_fee"], cur),
        "discount": money_text(order["discount_total"], cur),
        "total": money_text(order["total"], cur),
        "review_issues": order["review_issues"],
        "note": order["note"],
        "created_at": order["created_at"].isoformat(),
        "updated_at": order["updated_at"].isoformat(),
    }
