"""A year of believable shop history, generated without a database: a long tail of products,
customers spread over Taiwan by population, seasonal days and evening peaks, and what happened
to each order afterwards (confirmed, shipped, delivered, completed, cancelled, refunded)."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dingdan.platform import taiwan

# Residents per county/city, thousands (household registration, end of 2024, rounded).
POPULATION = {
    "新北市": 4048,
    "臺中市": 2860,
    "高雄市": 2731,
    "臺北市": 2492,
    "桃園市": 2326,
    "臺南市": 1857,
    "彰化縣": 1245,
    "屏東縣": 796,
    "雲林縣": 665,
    "新竹縣": 591,
    "苗栗縣": 537,
    "嘉義縣": 481,
    "南投縣": 478,
    "宜蘭縣": 450,
    "新竹市": 455,
    "基隆市": 361,
    "花蓮縣": 318,
    "嘉義市": 262,
    "臺東縣": 211,
    "金門縣": 145,
    "澎湖縣": 108,
    "連江縣": 14,
}
SPECIAL_POSTAL_AREAS = {"290", "817", "819"}  # 釣魚臺, 東沙, 南沙: nobody orders from there
CATEGORIES = [
    ("tea", "茶飲"),
    ("kitchen", "廚房用品"),
    ("apparel", "服飾"),
    ("bags", "包袋"),
    ("gifts", "禮盒"),
    ("snacks", "零食"),
    ("beauty", "美妝保養"),
    ("stationery", "文具"),
    ("home", "居家"),
    ("outdoor", "戶外"),
]
NOUNS = [
    "保溫杯",
    "綠茶",
    "烏龍茶",
    "T恤",
    "托特包",
    "手工皂",
    "鳳梨酥",
    "面膜",
    "筆記本",
    "抱枕",
    "露營燈",
    "咖啡豆",
    "帆布鞋",
    "毛巾",
    "香氛蠟燭",
    "便當盒",
    "雨傘",
    "襪子",
    "蜂蜜",
    "牛軋糖",
]
ADJECTIVES = ["經典", "輕量", "手作", "有機", "限定", "日常", "職人", "復古", "極簡", "台灣"]
COLOURS = [("BLK", "黑"), ("WHT", "白"), ("NVY", "深藍"), ("GRN", "綠")]
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "志明美玲家豪雅婷建國淑芬俊傑怡君宗翰佳穎冠宇欣怡承恩詩涵"
STREETS = ["中正路", "中山路", "民生路", "復興路", "和平東路", "光復路", "文化路", "自由路"]
CHANNELS = (["web", "app", "manual"], [55, 35, 10])
PAYMENTS = (["online", "cod", "bank_transfer"], [50, 30, 20])
CARRIERS = (["tcat", "hct", "post", "711"], [40, 20, 15, 25])
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 8, 7, 6, 6, 6, 7, 8, 10, 12, 13, 11, 6]
SHOPPING_DAYS = {(11, 11): 6.0, (12, 12): 3.0, (6, 18): 2.5, (5, 10): 1.8, (8, 8): 1.6}


@dataclass(frozen=True)
class DemoVariant:
    sku: str
    price: Decimal
    attributes: dict[str, str]


@dataclass(frozen=True)
class DemoProduct:
    name: str
    category: str
    variants: list[DemoVariant]


@dataclass(frozen=True)
class Customer:
    name: str
    phone: str
    county: str
    district: str
    postal_code: str
    line1: str


@dataclass
class PlannedOrder:
    """One order and its later life: timestamps of each status it reached, refunds, parcel."""

    placed_at: datetime
    customer: Customer
    channel: str
    payment_method: str
    lines: list[tuple[str, int]]
    discount: Decimal
    steps: list[tuple[str, datetime]] = field(default_factory=list)
    refund: tuple[Decimal, datetime] | None = None
    carrier: str = ""
    exception_at: datetime | None = None


def make_catalog(rng: random.Random, products: int = 240) -> list[DemoProduct]:
    catalog = []
    for index in range(products):
        code, _name = CATEGORIES[index % len(CATEGORIES)]
        name = f"{rng.choice(ADJECTIVES)}{rng.choice(NOUNS)} {index + 1:03d}"
        price = Decimal(rng.choice([99, 149, 199, 290, 350, 490, 590, 780, 990, 1290, 1880, 2990]))
        colours = rng.sample(COLOURS, rng.choice([1, 1, 2, 3, 4]))
        variants = [DemoVariant(f"P{index + 1:03d}-{c}", price, {"顏色": label}) for c, label in colours]
        catalog.append(DemoProduct(name, code, variants))
    return catalog


def sku_weights(catalog: list[DemoProduct]) -> tuple[list[str], list[float], dict[str, Decimal]]:
    """A long tail: the n-th product sells about 1/n^1.1 as often as the first."""
    skus, weights, prices = [], [], {}
    for rank, product in enumerate(catalog, start=1):
        for variant in product.variants:
            skus.append(variant.sku)
            weights.append(1 / rank**1.1 / len(product.variants))
            prices[variant.sku] = variant.price
    return skus, weights, prices


def make_customers(rng: random.Random, count: int) -> list[Customer]:
    counties = list(POPULATION)
    chosen = rng.choices(counties, weights=[POPULATION[c] for c in counties], k=count)
    districts = {
        c: [d for d in taiwan.list_districts(c) if d.postal_code not in SPECIAL_POSTAL_AREAS]
        for c in counties
    }
    customers = []
    for index, county in enumerate(chosen):
        district = rng.choice(districts[county])
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
        line1 = f"{rng.choice(STREETS)}{rng.randint(1, 300)}號"
        customers.append(Customer(name, f"09{index:08d}", county, district.name, district.postal_code, line1))
    return customers


def day_weight(day: date) -> float:
    """Seasons (a winter and a summer peak), weekends, Lunar New Year lull, shopping festivals."""
    season = 1 + 0.25 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 340) / 365)
    weekend = 1.25 if day.weekday() >= 5 else 1.0
    lull = 0.5 if (day.month == 1 and day.day >= 25) or (day.month == 2 and day.day <= 5) else 1.0
    return season * weekend * lull * SHOPPING_DAYS.get((day.month, day.day), 1.0)


def placement_times(rng: random.Random, count: int, *, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """`count` local times over the 365 days before `end`, sorted, never after `end`."""
    last = end.astimezone(zone).date()
    days = [last - timedelta(days=offset) for offset in range(365)]
    picked = rng.choices(days, weights=[day_weight(d) for d in days], k=count)
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    times = []
    for day, hour in zip(picked, hours, strict=True):
        local = datetime(
            day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone
        )
        times.append(min(local, end - timedelta(minutes=1)))
    times.sort()
    return times


def _life(rng: random.Random, order: PlannedOrder, now: datetime) -> None:
    """What happened to the order by `now`: each step only if its time has come."""
    at = order.placed_at
    cancel = rng.random() < 0.08
    plan = [
        ("confirmed", rng.uniform(0.05, 8)),
        ("shipped", rng.uniform(12, 48)),
        ("delivered", rng.uniform(18, 72)),
        ("completed", 24 * 7),
    ]
    for status, hours in plan:
        at += timedelta(hours=hours)
        if at > now:
            return
        if cancel and status == "shipped":
            order.steps.append(("cancelled", at))
            return
        order.steps.append((status, at))
        if status == "shipped":
            order.carrier = rng.choices(*CARRIERS)[0]
            if rng.random() < 0.03:
                order.exception_at = at + timedelta(hours=20)


def plan_orders(
    rng: random.Random, count: int, *, catalog: list[DemoProduct], now: datetime, zone: ZoneInfo
) -> Iterator[PlannedOrder]:
    skus, weights, prices = sku_weights(catalog)
    cumulative = list(itertools.accumulate(weights))
    customers = make_customers(rng, max(50, count // 3))
    repeaters = customers[: len(customers) // 5]  # a fifth of the customers place half the orders
    for placed_at in placement_times(rng, count, end=now, zone=zone):
        customer = rng.choice(repeaters if rng.random() < 0.5 else customers)
        wanted = rng.choices(
            skus, cum_weights=cumulative, k=rng.choices([1, 2, 3, 4], cum_weights=[60, 85, 95, 100])[0]
        )
        lines = [(sku, rng.choices([1, 2, 3], cum_weights=[75, 93, 100])[0]) for sku in dict.fromkeys(wanted)]
        subtotal = sum((prices[sku] * qty for sku, qty in lines), Decimal(0))
        discount = min(subtotal, Decimal(rng.choice([50, 100]))) if rng.random() < 0.2 else Decimal(0)
        order = PlannedOrder(
            placed_at, customer, rng.choices(*CHANNELS)[0], rng.choices(*PAYMENTS)[0], lines, discount
        )
        _life(rng, order, now)
        if order.steps and order.steps[-1][0] == "completed" and rng.random() < 0.04:
            amount = subtotal if rng.random() < 0.4 else (subtotal / 2).quantize(Decimal(1))
            order.refund = (amount, min(now, order.steps[-1][1] + timedelta(days=rng.uniform(0, 5))))
        yield order
