"""What a signed-in customer does with their own orders: place, read, cancel unpaid, change the
address before a parcel leaves, confirm receipt. Someone else's order is always "not found"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.orders import rules
from dingdan.orders import service as orders
from dingdan.orders.customer_queries import get_own_order_row
from dingdan.orders.customer_view import ChangeAddressIn, CustomerAction, MyOrderIn, customer_actions
from dingdan.orders.schemas import OrderIn
from dingdan.orders.states import OrderStatus
from dingdan.platform.db import Database
from dingdan.platform.errors import Conflict, InvalidInput
from dingdan.shipping import service as shipping
from dingdan.shipping.rules import TrackingStatus
from dingdan.workflows.cancel_order import cancel_order
from dingdan.workflows.place_order import Intake, submit_order


class ActionNotAllowed(Conflict):
    code = "action-not-allowed"
    title = "The order's state does not allow this"


class AddressLocked(ActionNotAllowed):
    code = "address-locked"
    title = "A parcel has left; the address can no longer change"


class AddressInvalid(InvalidInput):
    code = "address-invalid"
    title = "The address is not one we can deliver to"


@dataclass(frozen=True)
class CustomerFacts:
    id: int
    name: str
    email: str | None
    mobile: str | None

    @property
    def actor(self) -> str:
        return f"customer:{self.id}"


def _as_order_in(request: MyOrderIn, customer: CustomerFacts) -> OrderIn:
    address = request.shipping_address
    return OrderIn.model_validate(
        {
            "channel": request.channel,
            "customer": {
                "name": customer.name or address.recipient,
                "phone": customer.mobile or address.phone,
                "email": customer.email or "",
            },
            "shipping_address": address.model_dump(),
            "lines": [line.model_dump() for line in request.lines],
            "payment_method": request.payment_method.value,
            "note": request.note,
        }
    )


async def place_as_customer(
    db: Database, *, request: MyOrderIn, customer: CustomerFacts, idempotency_key: str | None
) -> tuple[str, bool]:
    """(order number, created). Reuses the one placement workflow, owned by the customer."""
    intake = Intake(customer.actor, f"customer:{customer.id}", idempotency_key, customer_id=customer.id)
    placed = await submit_order(db, request=_as_order_in(request, customer), intake=intake)
    return placed.body["number"], placed.created


def require_action(order: Mapping[Any, Any], action: CustomerAction, message: str) -> None:
    if action not in customer_actions(order):
        raise ActionNotAllowed(message, field="status", order_status=order["status"], action=action.value)


async def cancel_unpaid(session: AsyncSession, *, number: str, customer: CustomerFacts) -> None:
    order = await get_own_order_row(session, number=number, customer_id=customer.id, for_update=True)
    require_action(
        order,
        CustomerAction.CANCEL,
        "only an order waiting for payment can be cancelled here; ask customer service",
    )
    await cancel_order(session, number=number, actor=customer.actor, reason="cancelled by customer")


async def change_address(
    session: AsyncSession, *, number: str, customer: CustomerFacts, data: ChangeAddressIn
) -> None:
    order = await get_own_order_row(session, number=number, customer_id=customer.id, for_update=True)
    if CustomerAction.CHANGE_ADDRESS not in customer_actions(order) or await _a_parcel_left(session, order):
        raise AddressLocked(
            "a parcel of this order has left or the order is closed; the address cannot change now",
            field="shipping_address",
            order_status=order["status"],
        )
    address = data.shipping_address.model_dump()
    problems = rules.address_issues(address)
    if problems:
        raise AddressInvalid(
            "check the address ({code})",
            params={"code": problems[0]["code"]},
            field=problems[0]["field"],
            issues=problems,
        )
    values = {
        "ship_recipient": address["recipient"],
        "ship_phone": rules.normalize_phone(address["phone"]),
        "ship_country": address["country"],
        "ship_city": address["city"],
        "ship_district": address["district"],
        "ship_postal_code": address["postal_code"],
        "ship_line1": address["line1"],
        "ship_line2": address["line2"],
    }
    await orders.update_fields(
        session,
        order=order,
        values=values,
        event=orders.TimelineEvent(
            "order.address_changed",
            customer.actor,
            {"before": {k: order[k] for k in values}, "after": values},
        ),
    )


async def _a_parcel_left(session: AsyncSession, order: Mapping[Any, Any]) -> bool:
    """Any parcel not cancelled carries the old address on its label."""
    parcels = await shipping.list_for_order(session, order_id=order["id"])
    return any(p["status"] != TrackingStatus.CANCELLED.value for p in parcels)


async def confirm_receipt(session: AsyncSession, *, number: str, customer: CustomerFacts) -> None:
    order = await get_own_order_row(session, number=number, customer_id=customer.id, for_update=True)
    require_action(
        order, CustomerAction.CONFIRM_RECEIPT, "receipt can be confirmed once the order is delivered"
    )
    await orders.transition(
        session, order=order, to=OrderStatus.COMPLETED, actor=customer.actor, reason="receipt confirmed"
    )
