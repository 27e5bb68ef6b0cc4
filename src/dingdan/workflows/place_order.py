"""Placing an order: price it from the catalog, review it, reserve its stock and write it —
one transaction of a fixed handful of statements whatever the number of lines.

Intake is idempotent: the order row carries its channel + external id and its Idempotency-Key
under unique constraints, so a retry or a racing duplicate finds the first order instead of
making a second one, and gets the answer the first request got.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

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
from dingdan.platform.batching import GroupCommit
from dingdan.platform.db import Database
from dingdan.platform.errors import DomainError, InvalidInput
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


@dataclass(frozen=True)
class Pending:
    """One request waiting to be placed, alone or with others in one transaction."""

    request: OrderIn
    intake: Intake
    fingerprint: str


async def submit_order(db: Database, *, request: OrderIn, intake: Intake) -> Placed:
    body = request.model_dump(mode="json")
    fingerprint = rules.request_fingerprint(body)
    for _ in range(NUMBER_ATTEMPTS):
        try:
            placed = await _group_for(db).submit(Pending(request, intake, fingerprint))
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


_groups: weakref.WeakKeyDictionary[Database, GroupCommit[Pending, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _group_for(db: Database) -> GroupCommit[Pending, dict[str, Any]]:
    """The process's placement group for this database: orders arriving together share a
    transaction (SQLite has one writer anyway; PostgreSQL gets two batches in flight)."""
    group = _groups.get(db)
    if group is None:

        async def run(batch: list[Pending]) -> list[dict[str, Any] | BaseException]:
            return await _place_group(db, batch)

        in_flight = 1 if db.dialect == "sqlite" else 2
        group = _groups[db] = GroupCommit(
            run, max_batch=get_settings().placement_batch_max, max_in_flight=in_flight
        )
    return group


async def _place_group(db: Database, batch: list[Pending]) -> list[dict[str, Any] | BaseException]:
    try:
        return await db.write(place_orders, batch=batch)
    except Exception as exc:
        if len(batch) == 1:
            return [exc]
    # A number or key already taken, or a refusal of the database: one by one, so that only the
    # order concerned meets it.
    return [(await _place_group(db, [pending]))[0] for pending in batch]


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
    [outcome] = await place_orders(session, batch=[Pending(request, intake, fingerprint)])
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


@dataclass
class _Draft:
    """An order priced and checked, waiting for its stock."""

    pending: Pending
    channel: channels.ChannelSettings
    priced: list[rules.PricedLine]
    subtotal: Decimal
    fee: Decimal
    phone: str
    line_fingerprint: str
    number: str


async def place_orders(
    session: AsyncSession, *, batch: Sequence[Pending]
) -> list[dict[str, Any] | BaseException]:
    """Place several orders in this transaction with the statements of one: their catalog
    facts, duplicate suspicion, stock and rows are each read or written once for all. Each
    order is priced, reviewed and reserved as if placed alone, in the batch's order; a refused
    order gets its error in its place. Raises AlreadyPlaced when a number or key is taken."""
    at = clock.now()
    sellable = await catalog.find_sellable(session, skus={ln.sku for p in batch for ln in p.request.lines})
    outcomes: list[_Draft | dict[str, Any] | BaseException] = []
    for pending in batch:
        try:
            outcomes.append(await _draft(session, pending, sellable, at))
        except DomainError as refused:
            outcomes.append(refused)
    drafts = [d for d in outcomes if isinstance(d, _Draft)]
    window = timedelta(minutes=get_settings().duplicate_window_minutes)
    suspects = await orders.find_duplicate_suspects(
        session, keys={(d.phone, d.line_fingerprint) for d in drafts}, since=at - window
    )
    stock = await inventory.reserve_many(session, [_stock_request(d) for d in drafts])
    reservations = dict(zip(map(id, drafts), stock, strict=True))
    rows: list[dict[str, Any]] = []
    lines: dict[str, list[dict[str, Any]]] = {}
    for index, outcome in enumerate(outcomes):
        if not isinstance(outcome, _Draft):
            continue
        reservation = reservations[id(outcome)]
        if isinstance(reservation, OutOfStock):
            outcomes[index] = reservation
            continue
        key = (outcome.phone, outcome.line_fingerprint)
        row, line_rows = _order_rows(outcome, sellable, reservation, suspects.get(key), at)
        suspects.setdefault(key, outcome.number)  # a later order of the batch is its duplicate
        rows.append(row)
        lines[row["number"]] = line_rows
        outcomes[index] = row["created_response"]
    if rows and not await orders.insert_orders(session, orders=rows, lines=lines):
        raise AlreadyPlaced("an order number or intake key of this batch is taken")
    for row in rows:
        _record_placed(session, row)
    return cast(list[dict[str, Any] | BaseException], outcomes)


async def _draft(session: AsyncSession, pending: Pending, sellable: dict[str, Any], at: datetime) -> _Draft:
    request, settings = pending.request, get_settings()
    channel = await channels.get_intake_settings(session, code=request.channel)
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
    return _Draft(
        pending,
        channel,
        priced,
        subtotal,
        fee,
        phone=rules.normalize_phone(request.customer.phone),
        line_fingerprint=rules.line_fingerprint([(ln.sku, ln.quantity) for ln in request.lines]),
        number=ids.new_order_number(at),
    )


def _stock_request(draft: _Draft) -> inventory.StockRequest:
    return inventory.StockRequest(
        order_ref=draft.number,
        demand=stock_rules.total_demand((ln.sku, ln.quantity) for ln in draft.pending.request.lines),
        actor=draft.pending.intake.actor,
        allow_shortage=draft.channel.allows_backorder,
    )


def _order_rows(
    draft: _Draft,
    sellable: dict[str, Any],
    reservation: inventory.ReservationResult,
    duplicate_of: str | None,
    at: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    settings = get_settings()
    request, intake, channel = draft.pending.request, draft.pending.intake, draft.channel
    issues = _review(request, draft.priced, sellable, reservation.shortages, duplicate_of)
    needs_payment = request.payment_method is not PaymentMethod.COD and not channel.orders_arrive_paid
    status = rules.initial_status(
        needs_payment=needs_payment, has_issues=bool(issues), auto_confirm=channel.auto_confirm
    )
    row = {
        "number": draft.number,
        "channel_code": channel.code,
        "external_id": request.external_id,
        "idempotency_scope": intake.scope if intake.idempotency_key else None,
        "idempotency_key": intake.idempotency_key,
        "request_fingerprint": draft.pending.fingerprint,
        "status": status.value,
        "payment_status": (PaymentStatus.PAID if channel.orders_arrive_paid else PaymentStatus.UNPAID).value,
        "fulfillment_status": FulfillmentStatus.UNFULFILLED.value,
        "payment_method": request.payment_method.value,
        "currency": settings.currency,
        "subtotal": draft.subtotal,
        "shipping_fee": draft.fee,
        "discount_total": request.discount,
        "total": rules.order_total(draft.subtotal, draft.fee, request.discount, settings.currency),
        "item_count": sum(ln.quantity for ln in draft.priced),
        **_people(request, draft.phone),
        "customer_id": intake.customer_id,
        "note": request.note,
        "review_issues": issues,
        "line_fingerprint": draft.line_fingerprint,
        "version": 1,
        "placed_by": intake.actor,
        "created_at": at,
        "updated_at": at,
    }
    lines = _line_rows(draft.priced, sellable, reservation.shortages)
    row["created_response"] = order_view(row, lines)
    return row, lines


def _record_placed(session: AsyncSession, row: dict[str, Any]) -> None:
    payload = {
        "to_status": row["status"],
        "channel": row["channel_code"],
        "total": row["created_response"]["total"],
        "issues": [i["code"] for i in row["review_issues"]],
    }
    # The order is inserted at version 1: its first event needs no statement of its own.
    orders.record_at_version(
        session,
        row["number"],
        orders.TimelineEvent("order.placed", row["placed_by"], payload),
        seq=row["version"],
    )


def _refuse_unknown_skus(request: OrderIn, sellable: dict[str, Any]) -> None:
    for index, line in enumerate(request.lines):
        if line.sku not in sellable:
            raise UnknownSku(
                "no product has the SKU {sku!r}", params={"sku": line.sku}, field=f"/lines/{index}/sku"
            )


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
