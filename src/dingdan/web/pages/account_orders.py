"""My orders (我的訂單) pages: the tabs with counts and filters, one order's detail with the
actions its state allows, and a short order form. Someone else's order is a plain 404."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from dingdan.catalog import service as catalog
from dingdan.orders.customer_queries import MyOrderFilters
from dingdan.orders.customer_view import ChangeAddressIn, MyOrderIn
from dingdan.orders.errors import OrderNotFound
from dingdan.orders.states import Tab
from dingdan.platform import clock
from dingdan.platform.errors import DomainError
from dingdan.platform.pagination import decode_cursor
from dingdan.web.api.my_orders import customer_facts, order_detail
from dingdan.web.csrf import verify_csrf
from dingdan.web.deps import DB, Principal
from dingdan.web.i18n import SHOP_TZ
from dingdan.web.pages.account_session import PortalCustomer
from dingdan.web.pages.portal_forms import FormState, refused
from dingdan.web.pages.templating import render
from dingdan.workflows import customer_orders, my_aftersales, my_orders
from dingdan.workflows.pay_order import pay_order

router = APIRouter(prefix="/account/orders", include_in_schema=False)
TABS = [None, Tab.PENDING_PAYMENT, Tab.TO_SHIP, Tab.SHIPPED, Tab.COMPLETED, Tab.CANCELLED]
ADDRESS_FIELDS = ("recipient", "phone", "city", "district", "postal_code", "line1", "line2")
NEW_ORDER_FIELDS = (*ADDRESS_FIELDS, "sku", "quantity", "payment_method", "note")
PERIODS = ("", "month", "3months", "year", "custom")
PAGE_PHOTO_PATH = "/account/photos/"


def _amount(raw: str | None) -> Decimal | None:
    try:
        return Decimal(raw) if raw and raw.strip() else None
    except InvalidOperation:
        return None


def _day(raw: str | None, *, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(raw or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1 if end else 0), time(), SHOP_TZ).astimezone(UTC)


def period_range(
    period: str, since: str | None, until: str | None
) -> tuple[datetime | None, datetime | None]:
    """近一個月 / 近三個月 / 今年 / a custom range of days, in the shop's time zone."""
    now = clock.now()
    if period == "month":
        return now - timedelta(days=30), None
    if period == "3months":
        return now - timedelta(days=91), None
    if period == "year":
        return datetime(now.astimezone(SHOP_TZ).year, 1, 1, tzinfo=SHOP_TZ).astimezone(UTC), None
    if period == "custom":
        return _day(since), _day(until, end=True)
    return None, None


@router.get("")
async def orders_page(request: Request, db: DB, who: PortalCustomer) -> Response:
    q = request.query_params
    tab = q.get("tab") if q.get("tab") in {t.value for t in Tab} else None
    period = q.get("period", "") if q.get("period", "") in PERIODS else ""
    since, until = period_range(period, q.get("from"), q.get("to"))
    text = (q.get("q") or "").strip()[:100]
    filters = MyOrderFilters(
        text or None,
        since,
        until,
        _amount(q.get("min_amount")),
        _amount(q.get("max_amount")),
        q.get("category") or None,
    )
    try:
        after_id = decode_cursor(q.get("cursor"))
    except DomainError:
        after_id = None
    async with db.read() as session:
        page = await my_orders.list_page(
            session,
            customer_id=who.id,
            filters=filters,
            tab=Tab(tab) if tab else None,
            after_id=after_id,
            limit=20,
        )
        categories = await catalog.list_categories(session)
    keep = {k: v for k, v in q.items() if k not in {"tab", "cursor"} and v}
    context = {
        "page": page,
        "tab": tab,
        "tabs": TABS,
        "query": keep,
        "period": period,
        "categories": categories,
    }
    template = "account/_order_rows.html" if request.headers.get("hx-request") else "account/orders.html"
    return render(request, template, context)


@router.get("/new")
async def new_order_page(request: Request, db: DB, who: PortalCustomer) -> Response:
    return await _new_order_form(request, db, FormState("order", {}), None)


async def _new_order_form(
    request: Request, db: DB, form: FormState, error: str | None, status: int = 200
) -> Response:
    async with db.read() as session:
        products = await catalog.list_products(session, active=True, limit=50)
    variants = [(p, v) for p in products for v in p.variants if v.active]
    context = {"variants": variants, "v": form.values, "form": form, "error": error}
    return render(request, "account/new_order.html", context, status=status)


@router.post("/new", dependencies=[Depends(verify_csrf)])
async def place_order(request: Request, db: DB, who: PortalCustomer) -> Response:
    sent = await request.form()
    form = FormState("order", {k: str(sent.get(k, "")) for k in NEW_ORDER_FIELDS})
    try:
        data = MyOrderIn.model_validate(
            {
                "shipping_address": {k: form.values[k] for k in ADDRESS_FIELDS},
                "lines": [{"sku": form.values["sku"], "quantity": _whole(form.values["quantity"])}],
                "payment_method": form.values["payment_method"] or "online",
                "note": form.values["note"],
            }
        )
        facts = await customer_facts(db, who)
        number, _ = await customer_orders.place_as_customer(
            db, request=data, customer=facts, idempotency_key=None
        )
    except (ValidationError, DomainError) as exc:
        marked, error = refused(form, exc)
        return await _new_order_form(request, db, marked, error, status=_status_of(exc))
    return RedirectResponse(f"/account/orders/{number}", status_code=303)


def _whole(raw: str) -> int | str:
    """A whole number as typed; anything else as typed, for the model to refuse by name."""
    return int(raw) if raw.strip().isdigit() else raw


def _status_of(exc: ValidationError | DomainError) -> int:
    return exc.status if isinstance(exc, DomainError) else 422


async def detail_page(
    request: Request,
    db: DB,
    who: Principal,
    number: str,
    error: str | None = None,
    status: int = 200,
    form: FormState | None = None,
) -> Response:
    """The order with its parcels and its after-sales (requests, reviews, messages); `form` is
    one of its forms sent back with the customer's values and what was refused."""
    try:
        order = await order_detail(db, who, number)
        async with db.read() as session:
            after = await my_aftersales.overview(
                session, order_number=number, customer=my_aftersales.customer_ref(who.id, who.label)
            )
    except OrderNotFound:
        return render(request, "account/not_found.html", {"number": number}, status=404)
    context = {
        "o": order,
        "after": page_photos(after),
        "error": error,
        "form": form,
        "confirming_payment": order["payment_confirming"],
    }
    return render(request, "account/order.html", context, status=status)


def page_photos(after: dict[str, Any]) -> dict[str, Any]:
    """The page shows photos through the signed-in session, not the API's bearer tokens."""

    def swap(urls: list[str]) -> list[str]:
        return [u.replace(my_aftersales.PHOTO_PATH, PAGE_PHOTO_PATH) for u in urls]

    return {
        **after,
        "requests": [{**r, "photos": swap(r["photos"])} for r in after["requests"]],
        "reviews": [{**r, "photos": swap(r["photos"])} for r in after["reviews"]],
    }


@router.get("/{number}")
async def order_page(number: str, request: Request, db: DB, who: PortalCustomer) -> Response:
    return await detail_page(request, db, who, number[:20])


async def _act(
    request: Request,
    db: DB,
    who: Principal,
    number: str,
    action: Any,
    form: FormState | None = None,
    **kwargs: Any,
) -> Response:
    facts = await customer_facts(db, who)
    try:
        await db.write(lambda session: action(session, number=number, customer=facts, **kwargs))
    except OrderNotFound:
        return render(request, "account/not_found.html", {"number": number}, status=404)
    except DomainError as exc:
        return await refused_page(request, db, who, number, exc, form)
    return RedirectResponse(f"/account/orders/{number}", status_code=303)


async def refused_page(
    request: Request,
    db: DB,
    who: Principal,
    number: str,
    exc: ValidationError | DomainError,
    form: FormState | None = None,
) -> Response:
    """The order page again, saying what was refused (next to the field when it has one)."""
    marked, error = refused(form or FormState("", {}), exc)
    return await detail_page(request, db, who, number, error, _status_of(exc), marked)


@router.post("/{number}/cancel", dependencies=[Depends(verify_csrf)])
async def cancel(number: str, request: Request, db: DB, who: PortalCustomer) -> Response:
    return await _act(request, db, who, number[:20], customer_orders.cancel_unpaid)


@router.post("/{number}/confirm-receipt", dependencies=[Depends(verify_csrf)])
async def confirm_receipt(number: str, request: Request, db: DB, who: PortalCustomer) -> Response:
    return await _act(request, db, who, number[:20], customer_orders.confirm_receipt)


@router.post("/{number}/address", dependencies=[Depends(verify_csrf)])
async def change_address(
    number: str, request: Request, db: DB, who: PortalCustomer, country: Annotated[str, Form()] = "TW"
) -> Response:
    sent = await request.form()
    form = FormState("address", {k: str(sent.get(k, "")) for k in ADDRESS_FIELDS})
    try:
        data = ChangeAddressIn.model_validate({"shipping_address": {**form.values, "country": country}})
    except ValidationError as exc:
        return await refused_page(request, db, who, number[:20], exc, form)
    return await _act(request, db, who, number[:20], customer_orders.change_address, form, data=data)


@router.post("/{number}/pay", dependencies=[Depends(verify_csrf)])
async def pay(number: str, request: Request, db: DB, who: PortalCustomer) -> Response:
    number = number[:20]
    try:
        started = await pay_order(
            db,
            request.app.state.payment_providers,
            number=number,
            customer_id=who.id,
            return_url=f"/account/orders/{number}",
        )
    except OrderNotFound:
        return render(request, "account/not_found.html", {"number": number}, status=404)
    except DomainError as exc:
        return await detail_page(request, db, who, number, exc.code, exc.status)
    return RedirectResponse(started["redirect_url"], status_code=303)
