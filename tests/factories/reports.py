"""A small shop history for report tests: orders over several weeks at awkward hours, in several
counties, channels and payment methods, then cancellations, refunds, parcels and late events."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from dingdan.catalog.schemas import ProductIn
from dingdan.inventory import service as inventory
from dingdan.orders import service as orders
from dingdan.orders.schemas import OrderIn
from dingdan.orders.states import OrderStatus
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.workflows.cancel_order import cancel_order
from dingdan.workflows.manage_catalog import create_product
from dingdan.workflows.place_order import Intake, submit_order

START = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Taipei
PRODUCTS = [  # (sku, price, category, stock)
    ("TEA-GRN", "320", "tea", 400),
    ("TEA-OOL", "480", "tea", 400),
    ("CUP-350", "490", "kitchen", 400),
    ("BAG-CNV", "780", "bags", 400),
    ("SOAP-IDLE", "150", "gifts", 25),  # never sold: a slow mover
]
PLACES = [  # (city as typed, district, postal code)
    ("臺北市", "大安區", "106"),
    ("台北市", "信義區", "110"),
    ("新北市", "板橋區", "220"),
    ("台中市", "西屯區", "407"),
    ("高雄市", "苓雅區", "802"),
    ("花蓮縣", "花蓮市", "970"),
]
PHONES = ["0912345678", "0922333444", "0933555777", "0955111222", "0988777666", "0911000111"]
# Local hours that sit on both sides of midnight in Taipei (UTC+8): the day must follow Taipei.
UTC_HOURS = [0, 3, 9, 15, 15.9, 16.1, 23.5]


@dataclass
class History:
    numbers: list[str] = field(default_factory=list)
    first_day: datetime = START


async def make_products(db: Database) -> None:
    async def create(session: Any) -> None:
        for sku, price, category, stock in PRODUCTS:
            data = ProductIn.model_validate(
                {"name": f"商品 {sku}", "category": category, "variants": [{"sku": sku, "price": price}]}
            )
            await create_product(session, data=data)
            await inventory.adjust(session, sku=sku, delta=stock, reason="期初", actor="test")

    await db.write(create)


def order_request(rng: random.Random, index: int) -> OrderIn:
    city, district, postal = rng.choice(PLACES)
    phone = rng.choice(PHONES)
    skus = rng.sample([p[0] for p in PRODUCTS[:4]], rng.randint(1, 3))
    return OrderIn.model_validate(
        {
            "channel": rng.choice(["web", "app", "manual"]),
            "external_id": f"R-{index}",
            "customer": {"name": "王小明", "phone": phone, "email": ""},
            "shipping_address": {
                "recipient": "王小明",
                "phone": phone,
                "city": city,
                "district": district,
                "postal_code": postal,
                "line1": "中正路 1 號",
            },
            "lines": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in skus],
            "payment_method": rng.choice(["cod", "online", "bank_transfer"]),
            "discount": rng.choice(["0", "0", "30"]),
        }
    )


async def place_history(db: Database, *, orders_count: int = 24, seed: int = 11) -> History:
    rng = random.Random(seed)
    frozen = clock.FrozenClock(START)
    clock.set_clock(frozen)
    history = History()
    for index in range(orders_count):
        frozen.current = START + timedelta(days=rng.randint(0, 40), hours=rng.choice(UTC_HOURS) - 2)
        placed = await submit_order(db, request=order_request(rng, index), intake=Intake("test", "test"))
        history.numbers.append(placed.body["number"])
    return history


async def move(db: Database, number: str, to: OrderStatus, *, after_hours: float, **event: Any) -> None:
    """Move an order `after_hours` after its placement; extra keywords become a timeline event."""

    async def run(session: Any) -> None:
        order = await orders.get_order_row(session, number=number, for_update=True)
        clock.set_clock(clock.FrozenClock(order["created_at"] + timedelta(hours=after_hours)))
        if to is OrderStatus.CANCELLED:
            await cancel_order(session, number=number, actor="test", reason="test")
        else:
            await orders.transition(session, order=order, to=to, actor="test")
        if event:
            await orders.record_timeline(session, number, event.pop("topic"), "test", **event)

    await db.write(run)


async def record(db: Database, number: str, topic: str, *, after_days: float, **payload: Any) -> None:
    async def run(session: Any) -> None:
        order = await orders.get_order_row(session, number=number)
        clock.set_clock(clock.FrozenClock(order["created_at"] + timedelta(days=after_days)))
        await orders.record_timeline(session, number, topic, "test", **payload)

    await db.write(run)


async def current_status(db: Database, number: str) -> str:
    async with db.read() as session:
        return str((await orders.get_order_row(session, number=number))["status"])


async def fulfil_some(db: Database, history: History, rng: random.Random) -> None:
    """Confirm, ship, deliver and cancel a share of the orders, as a shop does over weeks."""
    for number in history.numbers:
        status = await current_status(db, number)
        roll = rng.random()
        if status in {"pending_payment", "pending_review"} and roll < 0.25:
            await move(db, number, OrderStatus.CANCELLED, after_hours=rng.uniform(0.1, 30))
            continue
        if status == "pending_payment":
            continue
        if status == "pending_review":
            await move(db, number, OrderStatus.CONFIRMED, after_hours=rng.uniform(0.5, 20))
        if roll < 0.7:
            carrier = rng.choice(["sim", "tcat"])
            await move(
                db,
                number,
                OrderStatus.SHIPPED,
                after_hours=rng.uniform(20, 60),
                topic="order.parcel_created",
                carrier=carrier,
            )
            if roll < 0.5:
                await move(db, number, OrderStatus.DELIVERED, after_hours=rng.uniform(60, 120))


async def late_changes(db: Database, history: History, rng: random.Random) -> None:
    """Refunds, exceptions and cancellations that arrive days after the order's day."""
    for number in rng.sample(history.numbers, 6):
        await record(
            db, number, "order.refunded", after_days=rng.uniform(1, 20), amount=str(rng.randint(1, 200))
        )
    for number in rng.sample(history.numbers, 2):
        await record(db, number, "order.delivery_exception", after_days=3, reason="delayed")
    for number in history.numbers:
        if await current_status(db, number) == "confirmed" and rng.random() < 0.3:
            await move(db, number, OrderStatus.CANCELLED, after_hours=24 * rng.uniform(2, 9))


MONEY = Decimal
