"""Placing an order: price it from the catalog, review it, reserve its stock and write it —
one transaction of a fixed handful of statements whatever the number of lines.

Intake is idempotent: the order row carries its channel + external id and its Idempotency-Key
under unique constraints, so a retry or a racing duplicate finds the first order instead of
making a second one, and gets the answer the first request got.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog import service as catalog
from dingdan.catalog.errors import UnknownSku
from dingdan.channels import service as channels
from dingdan.inventory import rules as stock_rules
from dingdan.inventory import service as inventory
from dingdan.inventory.errors import OutOfStock
from dingdan.orders import rules
from dingdan.orders import service as orders
from dingdan.orders.errors import AlreadyPlaced, IdempotencyKeyReused
from dingdan.orders.schemas import OrderIn, PaymentMethod, order_view
from dingdan.orders.states import FulfillmentStatus, PaymentStatus
from dingdan.platform import clock, ids, metrics
from dingdan.platform.db import Database
from dingdan.platform.errors import InvalidInput
from dingdan.platform.settings import get_settings

NUMBER_ATTEMPTS = 3


@dataclass(frozen=True)
class Intake:
    """Who is placing the order and under which Idempotency-Key."""

    actor: str
    scope: str
    idempotency_key: str | None = None
    customer_id: int | None = None  # set when a signed-in customer places the order


@dataclass(frozen=True)
class Placed:
    body: dict[str, Any]
    created: bool  # False: an earlier identical request's order is answered again


class DiscountTooLarge(InvalidInput):
    code = "discount-too-large"
    title = "Discount exceeds the order amount"


async def submit_order(db: Database, *, request: OrderIn, intake: Intake) -> Placed:
    body = request.model_dump(mode="json")
    fingerprint = rules.request_fingerprint(body)
    for _ in range(NUMBER_ATTEMPTS):
        try:
            placed = await db.write(place_order, request=request, intake=intake, fingerprint=fingerprint)
            metrics.ORDERS_PLACED.labels(request.channel).inc()
            return Placed(placed, created=True)
        except (AlreadyPlaced, OutOfStock) as exc:
            earlier = await _find_earlier(db, request, intake, fingerprint)
            if earlier is not None:
                return earlier
            if isinstance(exc, OutOfStock):
                metrics.RESERVATIONS_REFUSED.inc()
                raise
    raise AlreadyPlaced("could not find a free order number")  # pragma: no cover


async def _find_earlier(db: Database, request: OrderIn, intake: Intake, fingerprint: str) -> Placed | None:
    async with db.read() as session:
        row = await orders.find_by_intake_keys(
            session,
            channel_code=request.channel,
            external_id=request.external_id,
            idempotency_scope=intake.scope,
            idempotency_key=intake.idempotency_key,
        )
    if row is None:
        return None
    same_key = intake.idempotency_key is not None and row["idempotency_key"] == intake.idempotency_key
    if same_key and row["request_fingerprint"] != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body",
            field="Idempotency-Key",
        )
    if same_key and _key_expired(row["created_at"]):
        await db.write(_forget_key, order_id=row["id"])
        return None
    return Placed(row["created_response"], created=False)


def _key_expired(created_at: Any) -> bool:
    retention = timedelta(hours=get_settings().idempotency_retention_hours)
    return bool(clock.now() - created_at > retention)


async def _forget_key(session: AsyncSession, *, order_id: int) -> None:
    from sqlalchemy import update

    await session.execute(
        update(orders.ORDERS)
        .where(orders.ORDERS.c.id == order_id)
        .values(idempotency_key=None, idempotency_scope=None)
    )


async def place_order(
    session: AsyncSession, *, request: OrderIn, intake: Intake, fingerprint: str
) -> dict[str, Any]:
    settings = get_settings()
    channel = await channels.get_intake_settings(session, code=request.channel)
    sellable = await catalog.find_sellable(session, skus={ln.sku for ln in request.lines})
    _refuse_unknown_skus(request, sellable)
    priced = rules.price_lines([(ln.sku, ln.quantity, ln.unit_price) for ln in request.lines], sellable)
    subtotal = sum((ln.line_total for ln in priced), Decimal(0))
    fee = (
        request.shipping_fee
        if request.shipping_fee is not None
        else rules.shipping_fee_for(
            subtotal, Decimal(settings.shipping_fee), Decimal(settings.free_shipping_threshold)
        )
    )
    if request.discount > subtotal + fee:
        raise DiscountTooLarge("the discount is larger than the lines and shipping", field="/discount")
    at = clock.now()
    number = ids.new_order_number(at)
    phone = rules.normalize_phone(request.customer.phone)
    fingerprint_lines = rules.line_fingerprint([(ln.sku, ln.quantity) for ln in request.lines])
    duplicate_of = await orders.find_duplicate_suspect(
        session,
        phone=phone,
        fingerprint=fingerprint_lines,
        since=at - timedelta(minutes=settings.duplicate_window_minutes),
    )
    reservation = await inventory.reserve(
        session,
        demand=stock_rules.total_demand((ln.sku, ln.quantity) for ln in request.lines),
        order_ref=number,
        actor=intake.actor,
        allow_shortage=channel.allows_backorder,
    )
    issues = _review(request, priced, sellable, reservation.shortages, duplicate_of)
    needs_payment = request.payment_method is not PaymentMethod.COD and not channel.orders_arrive_paid
    status = rules.initial_status(
        needs_payment=needs_payment, has_issues=bool(issues), auto_confirm=channel.auto_confirm
    )
    row = {
        "number": number,
        "channel_code": channel.code,
        "external_id": request.external_id,
        "idempotency_scope": intake.scope if intake.idempotency_key else None,
        "idempotency_key": intake.idempotency_key,
        "request_fingerprint": fingerprint,
        "status": status.value,
        "payment_status": (PaymentStatus.PAID if channel.orders_arrive_paid else PaymentStatus.UNPAID).value,
        "fulfillment_status": FulfillmentStatus.UNFULFILLED.value,
        "payment_method": request.payment_method.value,
        "currency": settings.currency,
        "subtotal": subtotal,
        "shipping_fee": fee,
        "discount_total": request.discount,
        "total": rules.order_total(subtotal, fee, request.discount, settings.currency),
        "item_count": sum(ln.quantity for ln in priced),
        **_people(request, phone),
        "customer_id": intake.customer_id,
        "note": request.note,
        "review_issues": issues,
        "line_fingerprint": fingerprint_lines,
        "version": 1,
        "placed_by": intake.actor,
        "created_at": at,
        "updated_at": at,
    }
    lines = _line_rows(priced, sellable, reservation.shortages)
    row["created_response"] = order_view(row, lines)
    if await orders.insert_order(session, order=row, lines=lines) is None:
        raise AlreadyPlaced(number)
    orders.record_timeline(
        session,
        number,
        "order.placed",
        intake.actor,
        to_status=status.value,
        channel=channel.code,
        total=row["created_response"]["total"],
        issues=[i["code"] for i in issues],
    )
    return row["created_response"]


def _refuse_unknown_skus(request: OrderIn, sellable: dict[str, Any]) -> None:
    for index, line in enumerate(request.lines):
        if line.sku not in sellable:
            raise UnknownSku(f"no product has the SKU {line.sku!r}", field=f"/lines/{index}/sku")


def _review(
    request: OrderIn,
    priced: list[rules.PricedLine],
    sellable: dict[str, Any],
    shortages: dict[str, int],
    duplicate_of: str | None,
) -> list[dict[str, Any]]:
    policy = rules.ReviewPolicy(max_line_quantity=get_settings().max_line_quantity_review)
    address = request.shipping_address.model_dump()
    issues = rules.line_issues(priced, sellable, shortages, policy)
    issues += rules.address_issues(address)
    issues += rules.customer_issues(request.customer.model_dump(), address["country"])
    if duplicate_of:
        issues.append(rules.issue("duplicate_suspected", "/customer/phone", order=duplicate_of))
    return issues


def _people(request: OrderIn, phone: str) -> dict[str, Any]:
    customer, address = request.customer, request.shipping_address
    return {
        "customer_id": None,
        "customer_name": customer.name,
        "customer_phone": phone,
        "customer_email": customer.email.lower(),
        "ship_recipient": address.recipient,
        "ship_phone": rules.normalize_phone(address.phone),
        "ship_country": address.country,
        "ship_city": address.city,
        "ship_district": address.district,
        "ship_postal_code": address.postal_code,
        "ship_line1": address.line1,
        "ship_line2": address.line2,
    }


def _line_rows(
    priced: list[rules.PricedLine], sellable: dict[str, Any], shortages: dict[str, int]
) -> list[dict[str, Any]]:
    left_short = dict(shortages)
    rows = []
    for line in priced:
        facts = sellable[line.sku]
        short = min(left_short.get(line.sku, 0), line.quantity)
        left_short[line.sku] = left_short.get(line.sku, 0) - short
        rows.append(
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "product_id": facts.product_id,
                "product_name": facts.product_name,
                "category_code": facts.category_code,
                "attributes": facts.attributes,
                "catalog_price": line.catalog_price,
                "unit_price": line.unit_price,
                "quantity": line.quantity,
                "line_total": line.line_total,
                "backordered_quantity": short,
            }
        )
    return rows


async def forget_expired_keys(db: Database) -> None:
    """Scheduled: Idempotency-Keys are remembered for the retention period only."""
    from sqlalchemy import update

    cutoff = clock.now() - timedelta(hours=get_settings().idempotency_retention_hours)

    async def forget(session: AsyncSession) -> None:
        table = orders.ORDERS
        await session.execute(
            update(table)
            .where(table.c.idempotency_key.is_not(None), table.c.created_at < cutoff)
            .values(idempotency_key=None, idempotency_scope=None)
        )

    await db.write(forget)
