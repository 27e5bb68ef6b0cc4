"""Editing an order's lines until it ships (see workflows/edit_order.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from dingdan.orders.schemas import MAX_LINES, Amount, LineIn, OrderOut
from dingdan.platform.money import money_text
from dingdan.web.api.orders import NumberPath
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, OrdersManage
from dingdan.workflows.edit_order import WantedLine, edit_order

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


class OrderEditIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {"sku": "CUP-500-BLK", "quantity": 3},
                        {"sku": "TEA-GRN-100", "quantity": 1, "unit_price": "280"},
                    ],
                    "reason": "客戶來電加購一盒茶葉，老客戶折扣",
                }
            ]
        },
    )

    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    shipping_fee: Amount | None = None


class OrderEditOut(BaseModel):
    order: OrderOut
    previous_total: str
    total: str
    amount_due: str
    refund_due: str


@router.post(
    "/{number}/edits",
    response_model=OrderEditOut,
    responses=problems(400, 401, 403, 404, 409, 422),
    summary="Edit an order's lines until it ships",
    description=(
        "`lines` is the whole list of lines after the edit: a SKU left out is removed, a new SKU "
        "is added, a quantity or `unit_price` changes in place (no `unit_price` keeps the line's "
        "price, or the catalog price for a new SKU). The order's stock is released and reserved "
        "again in the same transaction; without enough stock (on a channel that does not take "
        "backorders) nothing changes and the answer is 409 out-of-stock. On a paid order the "
        "difference is reported as `amount_due` (the customer pays more) or `refund_due`. The "
        "edit is one `order.edited` timeline event with the reason and each change."
    ),
)
async def post_edit(number: NumberPath, data: OrderEditIn, db: DB, who: OrdersManage) -> Response:
    result = await db.write(
        edit_order,
        number=number,
        lines=[WantedLine(ln.sku, ln.quantity, ln.unit_price) for ln in data.lines],
        reason=data.reason,
        actor=who.actor,
        shipping_fee=data.shipping_fee,
    )
    currency = result.order["currency"]
    return json_response(
        {
            "order": result.order,
            "previous_total": money_text(result.previous_total, currency),
            "total": money_text(result.total, currency),
            "amount_due": money_text(result.amount_due, currency),
            "refund_due": money_text(result.refund_due, currency),
        }
    )
