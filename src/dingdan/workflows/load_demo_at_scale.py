"""`dingdan demo --orders N`: a year of history written in bulk (multi-row INSERTs of orders,
lines, timeline events and stock ledger rows, a few thousand orders per transaction) instead of
through the placement API, so a million orders load in minutes. The stock ledger and levels
agree at the end; the events are marked delivered, and the caller rebuilds the report rollups."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.auth import service as auth
from dingdan.catalog.schemas import ProductIn, VariantIn
from dingdan.channels import service as channels
from dingdan.inventory import service as inventory
from dingdan.inventory.models import Movement
from dingdan.orders import rules
from dingdan.orders.service import LINES, ORDERS
from dingdan.platform import bulk, clock
from dingdan.platform.db import Database
from dingdan.platform.events import EventRow
from dingdan.platform.ids import ALPHABET
from dingdan.platform.settings import get_settings
from dingdan.workflows import demo_history as history
from dingdan.workflows.load_demo import DEMO_PASSWORD, DEMO_STAFF
from dingdan.workflows.manage_catalog import create_product

BATCH = 5000
ACTOR = "system:demo"
EVENTS = cast(Table, EventRow.__table__)
MOVEMENTS = cast(Table, Movement.__table__)
STATUS_PAYMENT = {"refunded": "refunded", "partially_refunded": "partially_refunded"}
FULFILMENT = {"shipped": "shipped", "delivered": "delivered", "completed": "delivered"}

Progress = Callable[[int], None]


@dataclass
class SkuFacts:
    product_id: int
    name: str
    category: str
    price: Decimal
    attributes: dict[str, str]


@dataclass
class Loading:
    """What the batches share: the catalog, the stock each SKU shipped or still holds, numbers."""

    rng: random.Random
    skus: dict[str, SkuFacts]
    warehouse_id: int
    shipped: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    numbers: set[str] = field(default_factory=set)


async def _seed(
    session: AsyncSession, *, catalog: list[history.DemoProduct]
) -> tuple[dict[str, SkuFacts], int]:
    await channels.ensure_seed_channels(session)
    warehouse = await inventory.ensure_default_warehouse(session)
    for email, role in DEMO_STAFF:
        await auth.create_staff(session, email=email, password=DEMO_PASSWORD, role=role)
    facts: dict[str, SkuFacts] = {}
    for product in catalog:
        variants = [VariantIn(sku=v.sku, price=v.price, attributes=v.attributes) for v in product.variants]
        made = await create_product(
            session, data=ProductIn(name=product.name, category=product.category, variants=variants)
        )
        for variant in product.variants:
            facts[variant.sku] = SkuFacts(
                made.id, product.name, product.category, variant.price, variant.attributes
            )
    return facts, warehouse.id


def _number(loading: Loading, at: datetime) -> str:
    while True:
        number = f"{at:%y%m%d}-" + "".join(loading.rng.choices(ALPHABET, k=8))
        if number not in loading.numbers:
            loading.numbers.add(number)
            return number


def _initial_status(order: history.PlannedOrder) -> str:
    return "pending_review" if order.payment_method == "cod" else "pending_payment"


def _payment_status(order: history.PlannedOrder, status: str, total: Decimal) -> str:
    if order.refund is not None:
        return "refunded" if order.refund[0] >= total else "partially_refunded"
    paid_online = order.payment_method != "cod" and status not in {"pending_payment", "cancelled"}
    return "paid" if paid_online or status in {"delivered", "completed"} else "unpaid"


def _order_row(loading: Loading, order: history.PlannedOrder, currency: str) -> dict[str, Any]:
    subtotal = sum((loading.skus[sku].price * qty for sku, qty in order.lines), Decimal(0))
    fee = rules.shipping_fee_for(subtotal, Decimal(80), Decimal(1000))
    total = rules.order_total(subtotal, fee, order.discount, currency)
    status = order.steps[-1][0] if order.steps else _initial_status(order)
    customer = order.customer
    return {
        "number": _number(loading, order.placed_at),
        "channel_code": order.channel,
        "external_id": None,
        "idempotency_scope": None,
        "idempotency_key": None,
        "request_fingerprint": None,
        "created_response": None,
        "status": status,
        "payment_status": _payment_status(order, status, total),
        "fulfillment_status": FULFILMENT.get(status, "unfulfilled"),
        "payment_method": order.payment_method,
        "currency": currency,
        "subtotal": subtotal,
        "shipping_fee": fee,
        "discount_total": order.discount,
        "total": total,
        "item_count": sum(qty for _, qty in order.lines),
        "customer_id": None,
        "customer_name": customer.name,
        "customer_phone": customer.phone,
        "customer_email": "",
        "ship_recipient": customer.name,
        "ship_phone": customer.phone,
        "ship_country": "TW",
        "ship_city": customer.county,
        "ship_district": customer.district,
        "ship_postal_code": customer.postal_code,
        "ship_line1": customer.line1,
        "ship_line2": "",
        "note": "",
        "review_issues": [],
        "line_fingerprint": rules.line_fingerprint(order.lines),
        "version": _event_count(order),
        "placed_by": ACTOR,
        "created_at": order.placed_at,
        "updated_at": order.steps[-1][1] if order.steps else order.placed_at,
    }


def _line_rows(loading: Loading, order: history.PlannedOrder, order_id: int) -> list[dict[str, Any]]:
    rows = []
    for line_no, (sku, qty) in enumerate(order.lines, start=1):
        facts = loading.skus[sku]
        rows.append(
            {
                "order_id": order_id,
                "line_no": line_no,
                "sku": sku,
                "product_id": facts.product_id,
                "product_name": facts.name,
                "category_code": facts.category,
                "attributes": facts.attributes,
                "catalog_price": facts.price,
                "unit_price": facts.price,
                "quantity": qty,
                "line_total": facts.price * qty,
                "backordered_quantity": 0,
            }
        )
    return rows


def _event(number: str, topic: str, at: datetime, **payload: Any) -> dict[str, Any]:
    return {
        "topic": topic,
        "aggregate_type": "order",
        "aggregate_id": number,
        "actor": ACTOR,
        "payload": payload,
        "created_at": at,
        "delivered_at": at,
    }


def _event_rows(order: history.PlannedOrder, row: dict[str, Any]) -> list[dict[str, Any]]:
    number, status = row["number"], _initial_status(order)
    found = [
        _event(
            number,
            "order.placed",
            order.placed_at,
            to_status=status,
            channel=order.channel,
            total=str(row["total"]),
            issues=[],
        )
    ]
    for step, at in order.steps:
        extra = {"carrier": order.carrier} if step == "shipped" else {}
        found.append(
            _event(number, f"order.{step}", at, from_status=status, to_status=step, reason="", **extra)
        )
        status = step
    if order.exception_at is not None:
        found.append(
            _event(
                number,
                "order.delivery_exception",
                order.exception_at,
                reason="delayed",
                carrier=order.carrier,
            )
        )
    if order.refund is not None:
        found.append(_event(number, "order.refunded", order.refund[1], amount=str(order.refund[0])))
    for seq, event in enumerate(found, start=1):  # as the services number them (docs/api.md)
        event["payload"]["seq"] = seq
    return found


def _event_count(order: history.PlannedOrder) -> int:
    """The order's version: one per event of its timeline."""
    return 1 + len(order.steps) + (order.exception_at is not None) + (order.refund is not None)


def _movement(
    loading: Loading,
    sku: str,
    kind: str,
    qty: int,
    ref: str | None,
    at: datetime,
    on_hand: int,
    reserved: int,
    reason: str = "",
) -> dict[str, Any]:
    return {
        "sku": sku,
        "warehouse_id": loading.warehouse_id,
        "kind": kind,
        "delta_on_hand": on_hand * qty,
        "delta_reserved": reserved * qty,
        "reason": reason,
        "order_ref": ref,
        "actor": ACTOR,
        "created_at": at,
    }


def _movement_rows(loading: Loading, order: history.PlannedOrder, number: str) -> list[dict[str, Any]]:
    steps = dict(order.steps)
    rows = []
    for sku, qty in order.lines:
        rows.append(_movement(loading, sku, "reserve", qty, number, order.placed_at, 0, 1))
        if "shipped" in steps:
            rows.append(_movement(loading, sku, "ship", qty, number, steps["shipped"], -1, -1))
            loading.shipped[sku] += qty
        elif "cancelled" in steps:
            rows.append(_movement(loading, sku, "release", qty, number, steps["cancelled"], 0, -1, "cancel"))
        else:
            loading.held[sku] += qty
    return rows


async def _insert_orders(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        ids = await bulk.reserve_ids(session, ORDERS, len(rows))
        for row, order_id in zip(rows, ids, strict=True):
            row["id"] = order_id
        await bulk.copy_rows(session, ORDERS, rows)
        return ids
    stmt = insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True)
    return list((await session.execute(stmt, rows)).scalars())


async def _write_batch(session: AsyncSession, *, loading: Loading, batch: list[history.PlannedOrder]) -> None:
    currency = get_settings().currency
    order_rows = [_order_row(loading, order, currency) for order in batch]
    ids = await _insert_orders(session, order_rows)
    lines, events, movements = [], [], []
    for order, row, order_id in zip(batch, order_rows, ids, strict=True):
        lines += _line_rows(loading, order, order_id)
        events += _event_rows(order, row)
        movements += _movement_rows(loading, order, row["number"])
    await bulk.copy_rows(session, LINES, lines)
    await bulk.copy_rows(session, EVENTS, events)
    await bulk.copy_rows(session, MOVEMENTS, movements)


async def _stock_up(session: AsyncSession, *, loading: Loading, since: datetime) -> None:
    """Receipts that cover what shipped and what is held, plus what is left on the shelf."""
    receipts, levels = [], []
    for sku in loading.skus:
        left = loading.rng.choice([0, 5, 20, 60, 150, 400])
        received = loading.shipped[sku] + loading.held[sku] + left
        if received:
            receipts.append(_movement(loading, sku, "adjust", received, None, since, 1, 0, "期初庫存"))
        levels.append(
            {"b_sku": sku, "on_hand": received - loading.shipped[sku], "reserved": loading.held[sku]}
        )
    await bulk.copy_rows(session, MOVEMENTS, receipts)
    await session.execute(
        update(inventory.STOCK_LEVELS)
        .where(inventory.STOCK_LEVELS.c.sku == bindparam("b_sku"))
        .where(inventory.STOCK_LEVELS.c.warehouse_id == loading.warehouse_id),
        levels,
    )


async def load_demo_at_scale(
    db: Database, *, orders: int, progress: Progress | None = None, seed: int = 7
) -> None:
    """Seed staff, a long-tail catalog and a year of `orders` orders into an empty database."""
    rng = random.Random(seed)
    catalog = history.make_catalog(rng)
    skus, warehouse_id = await db.write(_seed, catalog=catalog)
    loading = Loading(rng, skus, warehouse_id)
    now = clock.now()
    zone = ZoneInfo(get_settings().time_zone)
    batch: list[history.PlannedOrder] = []
    done = 0
    for order in history.plan_orders(rng, orders, catalog=catalog, now=now, zone=zone):
        batch.append(order)
        if len(batch) == BATCH:
            await db.write(_write_batch, loading=loading, batch=batch)
            done, batch = done + len(batch), []
            if progress:
                progress(done)
    if batch:
        await db.write(_write_batch, loading=loading, batch=batch)
    await db.write(_stock_up, loading=loading, since=now - timedelta(days=366))
    await db.write(bulk.analyze, [ORDERS, LINES, EVENTS, MOVEMENTS])
    if progress:
        progress(orders)
