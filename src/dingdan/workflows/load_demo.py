"""Demo data for a first start: a small shop with products, stock, staff, some orders, and one
customer account (the first demo customer's mobile number, verified) that owns their orders."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.auth import service as auth
from dingdan.auth.models import Staff
from dingdan.auth.rules import Role
from dingdan.catalog.schemas import ProductIn, VariantIn
from dingdan.channels import service as channels
from dingdan.customers import service as customers
from dingdan.inventory import service as inventory
from dingdan.orders.schemas import OrderIn
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.workflows.claim_orders import claim_guest_orders
from dingdan.workflows.manage_catalog import create_product
from dingdan.workflows.place_order import Intake, submit_order

DEMO_PASSWORD = "dingdan-demo"
DEMO_STAFF = [(f"{role.value}@demo.dingdan.tw", role) for role in Role]
PRODUCTS = [
    (
        "保溫杯",
        "kitchen",
        [
            ("CUP-350-WHT", "490", {"規格": "350ml", "顏色": "白"}),
            ("CUP-500-BLK", "590", {"規格": "500ml", "顏色": "黑"}),
        ],
    ),
    ("有機綠茶", "tea", [("TEA-GRN-100", "320", {"規格": "100g"})]),
    (
        "棉質T恤",
        "apparel",
        [
            (f"TEE-{c}-{s}", "450", {"顏色": name, "尺寸": s})
            for c, name in (("BLK", "黑"), ("NVY", "深藍"))
            for s in ("S", "M", "L")
        ],
    ),
    ("帆布托特包", "bags", [("BAG-CNV-NAT", "780", {"顏色": "米白"})]),
    ("手工皂禮盒", "gifts", [("SOAP-GIFT-3", "660", {"規格": "3 入"})]),
]
CUSTOMERS = [
    ("王小明", "0912345678", "臺北市", "大安區", "106", "復興南路一段 100 號"),
    ("陳美玲", "0922333444", "新北市", "板橋區", "220", "文化路一段 50 號 3 樓"),
    ("林志豪", "0933555777", "臺中市", "西屯區", "407", "臺灣大道三段 99 號"),
    ("張雅婷", "0955111222", "高雄市", "苓雅區", "802", "四維三路 2 號"),
    ("黃建國", "0988777666", "桃園市", "中壢區", "320", "中正路 200 號"),
]


DEMO_CUSTOMER = CUSTOMERS[0][1]  # signs in to "my orders" with this mobile number


async def is_empty(db: Database) -> bool:
    async with db.read() as session:
        return not await session.scalar(select(func.count()).select_from(Staff))


async def _seed_shop(session: AsyncSession) -> None:
    await channels.ensure_seed_channels(session)
    await inventory.ensure_default_warehouse(session)
    for email, role in DEMO_STAFF:
        await auth.create_staff(session, email=email, password=DEMO_PASSWORD, role=role)
    for name, category, variants in PRODUCTS:
        await create_product(
            session,
            data=ProductIn(
                name=name,
                category=category,
                variants=[
                    VariantIn(sku=sku, price=Decimal(price), attributes=attrs)
                    for sku, price, attrs in variants
                ],
            ),
        )
        for sku, _, _ in variants:
            await inventory.adjust(
                session, sku=sku, delta=random.randint(20, 120), reason="期初庫存", actor="system:demo"
            )


async def load_demo(db: Database, *, orders: int = 30, progress: Callable[[int], None] | None = None) -> None:
    await db.write(_seed_shop)
    skus = [sku for _, _, variants in PRODUCTS for sku, _, _ in variants]
    rng = random.Random(7)
    for index in range(orders):
        name, phone, city, district, postal, line1 = rng.choice(CUSTOMERS)
        request = OrderIn.model_validate(
            {
                "channel": rng.choice(["web", "app", "manual"]),
                "external_id": f"DEMO-{index:05d}",
                "customer": {"name": name, "phone": phone, "email": ""},
                "shipping_address": {
                    "recipient": name,
                    "phone": phone,
                    "country": "TW",
                    "city": city,
                    "district": district,
                    "postal_code": postal,
                    "line1": line1,
                },
                "lines": [
                    {"sku": sku, "quantity": rng.randint(1, 2)} for sku in rng.sample(skus, rng.randint(1, 3))
                ],
                "payment_method": rng.choice(["cod", "online", "bank_transfer"]),
            }
        )
        await submit_order(db, request=request, intake=Intake("system:demo", "demo"))
        if progress:
            progress(index + 1)
    await db.write(_demo_customer)


async def _demo_customer(session: AsyncSession) -> None:
    name, phone = CUSTOMERS[0][:2]
    account = await customers.register(session, contact=phone, password=DEMO_PASSWORD, name=name)
    account.mobile_verified_at = clock.now()
    await claim_guest_orders(session, customer_id=account.id)
