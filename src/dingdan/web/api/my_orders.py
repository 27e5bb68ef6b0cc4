"""My orders (我的訂單) over the API: a customer's own orders, and nobody else's.

Every route reads the order scoped by the caller's account, so another customer's order gives
the very same 404 as a number that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from dingdan.customers import service as customers
from dingdan.orders.customer_queries import MyOrderFilters
from dingdan.orders.customer_view import CLOSED, ChangeAddressIn, MyOrderIn, MyOrderOut, MyOrderPage
from dingdan.orders.states import Tab
from dingdan.payments.adapters.base import ProviderRegistry
from dingdan.platform.db import Database
from dingdan.platform.pagination import MAX_PAGE_SIZE, decode_cursor
from dingdan.web.api.orders import IDEMPOTENCY_DOC, parse_idempotency_key
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, Customer, Principal
from dingdan.workflows import customer_orders, my_orders
from dingdan.workflows.customer_orders import CustomerFacts
from dingdan.workflows.pay_order import pay_order

router = APIRouter(prefix="/api/v1/me/orders", tags=["me"])
NumberPath = Annotated[str, Path(max_length=20, description="order number, e.g. 261125-7KQ3MXPA")]
Money = Annotated[Decimal, Query(ge=0, le=Decimal("99999999.99"), decimal_places=2)]


def _follow(method: str, path: str) -> dict[str, Any]:
    """An OpenAPI link from a placed order to one of its operations (for clients and fuzzers)."""
    pointer = "/api/v1/me/orders/{number}" + path
    return {
        "operationRef": "#/paths/" + pointer.replace("~", "~0").replace("/", "~1") + "/" + method,
        "parameters": {"number": "$response.body#/number"},
    }


PLACED_LINKS = {
    "GetMyOrder": _follow("get", ""),
    "ChangeAddress": _follow("put", "/shipping-address"),
    "Pay": _follow("post", "/pay"),
    "Cancel": _follow("post", "/cancel"),
    "GetAftersales": _follow("get", "/aftersales"),
    "WriteToService": _follow("post", "/messages"),
}


class PaymentStartOut(BaseModel):
    model_config = CLOSED
    payment_id: int
    redirect_url: str
    status: str


async def customer_facts(db: Database, who: Principal) -> CustomerFacts:
    async with db.read() as session:
        account = await customers.get_account(session, customer_id=who.id)
    return CustomerFacts(account.id, account.name, account.email, account.mobile)


async def order_detail(db: Database, who: Principal, number: str) -> dict[str, Any]:
    async with db.read() as session:
        return await my_orders.detail(session, number=number, customer_id=who.id)


@router.post(
    "",
    status_code=201,
    response_model=MyOrderOut,
    responses={
        200: {"description": "the order an earlier identical request created", "links": PLACED_LINKS},
        201: {"description": "the order, placed", "links": PLACED_LINKS},
        **problems(401, 403, 409, 422),
    },
    summary="Place an order as the signed-in customer (prices and fees come from the shop)",
)
async def place(
    data: MyOrderIn,
    db: DB,
    who: Customer,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_DOC)
    ] = None,
) -> Response:
    facts = await customer_facts(db, who)
    key = parse_idempotency_key(idempotency_key)
    number, created = await customer_orders.place_as_customer(
        db, request=data, customer=facts, idempotency_key=key
    )
    body = await order_detail(db, who, number)
    headers = {"Location": f"/api/v1/me/orders/{number}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, status=201 if created else 200, headers=headers)


@router.get(
    "",
    response_model=MyOrderPage,
    responses=problems(401, 403, 422),
    summary="My orders, newest first, with tab counts, filters and a cursor",
)
async def list_mine(
    db: DB,
    who: Customer,
    tab: Annotated[Tab | None, Query(description="omit for 全部 (all)")] = None,
    q: Annotated[str | None, Query(max_length=100, description="order number, product name or SKU")] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    min_amount: Money | None = None,
    max_amount: Money | None = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    filters = MyOrderFilters(q.strip() if q else None, from_, to, min_amount, max_amount, category)
    async with db.connection() as connection:
        page = await my_orders.list_page(
            connection,
            customer_id=who.id,
            filters=filters,
            tab=tab,
            after_id=decode_cursor(cursor),
            limit=limit,
        )
    return json_response(page)


@router.get("/{number}", response_model=MyOrderOut, responses=problems(401, 403, 404))
async def get_mine(number: NumberPath, db: DB, who: Customer) -> Response:
    """One of my orders: lines (規格/顏色/尺寸), totals, address, payment, the actions allowed."""
    return json_response(await order_detail(db, who, number))


async def _act(db: Database, who: Principal, number: str, action: Any, **kwargs: Any) -> Response:
    facts = await customer_facts(db, who)

    async def run(session: AsyncSession) -> None:
        await action(session, number=number, customer=facts, **kwargs)

    await db.write(run)
    return json_response(await order_detail(db, who, number))


@router.post("/{number}/cancel", response_model=MyOrderOut, responses=problems(401, 403, 404, 409))
async def cancel(number: NumberPath, db: DB, who: Customer) -> Response:
    """Cancel an order still waiting for payment; its stock is released."""
    return await _act(db, who, number, customer_orders.cancel_unpaid)


@router.put(
    "/{number}/shipping-address", response_model=MyOrderOut, responses=problems(401, 403, 404, 409, 422)
)
async def change_address(number: NumberPath, data: ChangeAddressIn, db: DB, who: Customer) -> Response:
    """Change the address or phone; refused (409 address-locked) once any parcel has left."""
    return await _act(db, who, number, customer_orders.change_address, data=data)


@router.post("/{number}/confirm-receipt", response_model=MyOrderOut, responses=problems(401, 403, 404, 409))
async def confirm_receipt(number: NumberPath, db: DB, who: Customer) -> Response:
    """Confirm the parcel arrived: 已送達 → 已完成."""
    return await _act(db, who, number, customer_orders.confirm_receipt)


@router.post(
    "/{number}/pay",
    response_model=PaymentStartOut,
    responses=problems(401, 403, 404, 409, 502, 504),
    summary="Open (or reopen) the payment of an order waiting for payment; go to redirect_url to pay",
)
async def pay(number: NumberPath, request: Request, db: DB, who: Customer) -> Response:
    providers: ProviderRegistry = request.app.state.payment_providers
    started = await pay_order(
        db, providers, number=number, customer_id=who.id, return_url=f"/account/orders/{number}"
    )
    return json_response(started)
