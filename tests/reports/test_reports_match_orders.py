"""Every report's numbers equal a direct SQL recomputation over the raw orders, their lines and
their timeline, for random date ranges and filters, after cancellations, refunds and late events."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, and_, exists, func, or_, select

from dingdan.inventory.models import StockLevel
from dingdan.orders.service import LINES, ORDERS
from dingdan.platform import taiwan
from dingdan.platform.events import EventRow
from dingdan.reports.facts import REFUND_TOPICS

FIRST = date(2025, 2, 20)
ranges = st.tuples(st.integers(0, 60), st.integers(0, 70)).map(
    lambda t: (FIRST + timedelta(days=t[0]), FIRST + timedelta(days=t[0] + t[1]))
)
granularities = st.sampled_from(["day", "week", "month"])
channels = st.sampled_from([None, "web", "app", "manual"])
payments = st.sampled_from([None, "cod", "online", "bank_transfer"])
EXAMPLES = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def local_day(db: Any) -> Any:
    if db.is_sqlite:
        return func.date(ORDERS.c.created_at, "+8 hours", type_=Date)
    return func.date(func.timezone("Asia/Taipei", ORDERS.c.created_at), type_=Date)


def bucket(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if granularity == "month" else day


def order_filters(db: Any, start: date, end: date, channel: str | None, payment: str | None) -> list[Any]:
    found = [local_day(db).between(start, end)]
    if channel:
        found.append(ORDERS.c.channel_code == channel)
    if payment:
        found.append(ORDERS.c.payment_method == payment)
    return found


async def refunds_by(db: Any, key: Any, conditions: list[Any]) -> dict[Any, Decimal]:
    stmt = (
        select(key, EventRow.payload["amount"].as_string())
        .join(ORDERS, ORDERS.c.number == EventRow.aggregate_id)
        .where(EventRow.aggregate_type == "order", EventRow.topic.in_(REFUND_TOPICS), *conditions)
    )
    found: dict[Any, Decimal] = defaultdict(Decimal)
    async with db.read() as session:
        for group, amount in await session.execute(stmt):
            found[group] += Decimal(amount)
    return found


async def expected_sales(
    db: Any, start: date, end: date, granularity: str, channel: Any, payment: Any
) -> Any:
    day = local_day(db)
    conditions = [*order_filters(db, start, end, channel, payment), ORDERS.c.status != "cancelled"]
    stmt = (
        select(
            day,
            func.count(),
            func.sum(ORDERS.c.item_count),
            func.sum(ORDERS.c.subtotal),
            func.sum(ORDERS.c.discount_total),
            func.sum(ORDERS.c.shipping_fee),
        )
        .where(*conditions)
        .group_by(day)
    )
    buckets: dict[date, list[Any]] = defaultdict(
        lambda: [0, 0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)]
    )
    async with db.read() as session:
        for row in await session.execute(stmt):
            into = buckets[bucket(row[0], granularity)]
            for index, value in enumerate(row[1:]):
                into[index] += value
    for group, amount in (await refunds_by(db, day, conditions)).items():
        buckets[bucket(group, granularity)][5] += amount
    return buckets


def figures(sums: list[Any]) -> dict[str, Any]:
    orders, units, gross, discounts, shipping, refunds = sums
    aov = ((gross - discounts + shipping) / orders).quantize(Decimal(1), ROUND_HALF_UP) if orders else 0
    net = gross - discounts - refunds
    return {
        "orders": orders,
        "units": units,
        "gross": gross,
        "discounts": discounts,
        "shipping": shipping,
        "refunds": refunds,
        "net": net,
        "aov": aov,
    }


def same(api: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        assert Decimal(str(api[name])) == Decimal(value), (name, api, expected)


@EXAMPLES
@given(window=ranges, granularity=granularities, channel=channels, payment=payments)
async def test_sales_report_equals_sql_over_orders(
    client, db, history, analyst, window, granularity, channel, payment
):
    start, end = window
    params = {"from": str(start), "to": str(end), "granularity": granularity}
    params |= {k: v for k, v in (("channel", channel), ("payment_method", payment)) if v}
    report = (await client.get("/api/v1/reports/sales", params=params, headers=analyst)).json()
    expected = await expected_sales(db, start, end, granularity, channel, payment)
    api_series = {date.fromisoformat(b["period"]): b for b in report["series"]}
    assert set(expected) <= set(api_series)
    for start_of, bucket_api in api_series.items():
        same(bucket_api, figures(expected.get(start_of, [0, 0, 0, 0, 0, 0])))
    totals = [sum(column) for column in zip(*expected.values(), strict=True)] or [0] * 6
    same(report["totals"], figures(totals))
    before_start = start - timedelta(days=(end - start).days + 1)
    before = await expected_sales(db, before_start, start - timedelta(days=1), "day", channel, payment)
    before_totals = [sum(column) for column in zip(*before.values(), strict=True)] or [0] * 6
    same(report["previous"]["totals"], figures(before_totals))


@EXAMPLES
@given(
    window=ranges,
    channel=channels,
    payment=payments,
    status=st.sampled_from([None, "cancelled", "confirmed"]),
)
async def test_orders_report_equals_sql_over_orders(
    client, db, history, analyst, window, channel, payment, status
):
    start, end = window
    params = {"from": str(start), "to": str(end)}
    params |= {k: v for k, v in (("channel", channel), ("payment_method", payment), ("status", status)) if v}
    report = (await client.get("/api/v1/reports/orders", params=params, headers=analyst)).json()
    conditions = order_filters(db, start, end, channel, payment)
    if status:
        conditions.append(ORDERS.c.status == status)
    amount = ORDERS.c.subtotal - ORDERS.c.discount_total + ORDERS.c.shipping_fee
    for dimension, column in (
        ("status", ORDERS.c.status),
        ("channel", ORDERS.c.channel_code),
        ("payment_method", ORDERS.c.payment_method),
    ):
        stmt = select(column, func.count(), func.sum(amount)).where(*conditions).group_by(column)
        async with db.read() as session:
            expected = {key: (count, total) for key, count, total in await session.execute(stmt)}
        got = {
            e[dimension]: (e["orders"], Decimal(e["amount"]))
            for e in report[f"by_{dimension}"]
            if e["orders"]
        }
        assert got == expected, dimension


def first_order_condition() -> Any:
    earlier = ORDERS.alias("earlier")
    return ~exists().where(
        earlier.c.customer_phone == ORDERS.c.customer_phone,
        or_(
            earlier.c.created_at < ORDERS.c.created_at,
            and_(earlier.c.created_at == ORDERS.c.created_at, earlier.c.id < ORDERS.c.id),
        ),
    )


@EXAMPLES
@given(window=ranges)
async def test_regions_report_equals_sql_over_orders(client, db, history, analyst, window):
    start, end = window
    conditions = [*order_filters(db, start, end, None, None), ORDERS.c.status != "cancelled"]
    first = func.sum(func.cast(first_order_condition(), ORDERS.c.item_count.type))
    stmt = (
        select(
            ORDERS.c.ship_city,
            func.count(),
            first,
            func.sum(ORDERS.c.item_count),
            func.sum(ORDERS.c.subtotal - ORDERS.c.discount_total),
        )
        .where(*conditions)
        .group_by(ORDERS.c.ship_city)
    )
    expected: dict[str, list[Any]] = defaultdict(lambda: [0, 0, 0, Decimal(0)])
    async with db.read() as session:
        for city, *sums in await session.execute(stmt):
            into = expected[taiwan.normalize_county(city)]
            for index, value in enumerate(sums):
                into[index] += value
    for city, amount in (await refunds_by(db, ORDERS.c.ship_city, conditions)).items():
        expected[taiwan.normalize_county(city)][3] -= amount
    report = (
        await client.get(
            "/api/v1/reports/regions", params={"from": str(start), "to": str(end)}, headers=analyst
        )
    ).json()
    got = {
        i["county"]: [i["orders"], i["new_customers"], i["units"], Decimal(i["sales"])]
        for i in report["items"]
    }
    assert got == {county: sums for county, sums in expected.items()}


@EXAMPLES
@given(window=ranges, idle_days=st.integers(1, 40))
async def test_products_report_equals_sql_over_lines(client, db, history, analyst, window, idle_days):
    start, end = window
    conditions = [*order_filters(db, start, end, None, None), ORDERS.c.status != "cancelled"]
    stmt = (
        select(
            LINES.c.sku,
            func.count(func.distinct(LINES.c.order_id)),
            func.sum(LINES.c.quantity),
            func.sum(LINES.c.line_total),
        )
        .join(ORDERS, ORDERS.c.id == LINES.c.order_id)
        .where(*conditions)
        .group_by(LINES.c.sku)
    )
    async with db.read() as session:
        expected = {sku: (orders, units, sales) for sku, orders, units, sales in await session.execute(stmt)}
    params = {"from": str(start), "to": str(end), "limit": 200, "idle_days": idle_days}
    report = (await client.get("/api/v1/reports/products", params=params, headers=analyst)).json()
    got = {i["sku"]: (i["orders"], i["units"], Decimal(i["sales"])) for i in report["best_sellers"]}
    assert got == expected
    recent = [
        *order_filters(db, end - timedelta(days=idle_days - 1), end, None, None),
        ORDERS.c.status != "cancelled",
    ]
    sold = select(LINES.c.sku).join(ORDERS, ORDERS.c.id == LINES.c.order_id).where(*recent)
    async with db.read() as session:
        sold_recently = set((await session.execute(sold)).scalars())
    assert {m["sku"] for m in report["slow_movers"]} == {
        "TEA-GRN",
        "TEA-OOL",
        "CUP-350",
        "BAG-CNV",
        "SOAP-IDLE",
    } - sold_recently


@EXAMPLES
@given(
    window=ranges, group=st.sampled_from(["product", "category"]), sort=st.sampled_from(["units", "sales"])
)
async def test_products_grouped_rank_and_hold_the_stock_of_their_skus(
    client, db, history, analyst, window, group, sort
):
    start, end = window
    key = {"product": LINES.c.product_id, "category": func.coalesce(LINES.c.category_code, "")}[group]
    sold = (
        select(key.label("key"), LINES.c.sku, LINES.c.quantity, LINES.c.line_total, LINES.c.order_id)
        .join(ORDERS, ORDERS.c.id == LINES.c.order_id)
        .where(*order_filters(db, start, end, None, None), ORDERS.c.status != "cancelled")
        .subquery()
    )
    stmt = select(
        sold.c.key,
        func.count(func.distinct(sold.c.order_id)),
        func.sum(sold.c.quantity),
        func.sum(sold.c.line_total),
    ).group_by(sold.c.key)
    skus_of = select(sold.c.key, sold.c.sku).distinct()
    on_hand = select(StockLevel.sku, func.sum(StockLevel.on_hand)).group_by(StockLevel.sku)
    async with db.read() as session:
        expected = {k: [orders, units, sales, 0] for k, orders, units, sales in await session.execute(stmt)}
        stock = {sku: int(units) for sku, units in await session.execute(on_hand)}
        for k, sku in await session.execute(skus_of):
            expected[k][3] += stock.get(sku, 0)
    params = {"from": str(start), "to": str(end), "group": group, "sort": sort, "limit": 200}
    report = (await client.get("/api/v1/reports/products", params=params, headers=analyst)).json()
    field = {"product": "product_id", "category": "category"}[group]
    got = {
        i[field]: [i["orders"], i["units"], Decimal(i["sales"]), i["on_hand"]] for i in report["best_sellers"]
    }
    assert got == expected
    ranked = [Decimal(i[sort]) for i in report["best_sellers"]]
    assert ranked == sorted(ranked, reverse=True)


async def milestones(db: Any, start: date, end: date) -> dict[str, list[Any]]:
    """Per channel: [orders, confirmed, confirm seconds, shipped, ship seconds, delivered, deliver s]."""
    is_confirm = or_(
        EventRow.topic == "order.confirmed",
        and_(EventRow.topic == "order.placed", EventRow.payload["to_status"].as_string() == "confirmed"),
    )
    stmt = (
        select(
            ORDERS.c.number,
            ORDERS.c.channel_code,
            ORDERS.c.created_at,
            EventRow.topic,
            EventRow.created_at,
            is_confirm,
        )
        .join(EventRow, and_(EventRow.aggregate_id == ORDERS.c.number, EventRow.aggregate_type == "order"))
        .where(local_day(db).between(start, end))
        .order_by(EventRow.id)
    )
    seen: dict[tuple[str, str, datetime], dict[str, datetime]] = defaultdict(dict)
    async with db.read() as session:
        for number, channel, placed, topic, at, confirm in await session.execute(stmt):
            kinds = {
                "confirm": bool(confirm),
                "ship": topic in {"order.shipped", "order.partially_shipped"},
                "deliver": topic == "order.delivered",
            }
            for kind, hit in kinds.items():
                if hit:
                    seen[(number, channel, placed)].setdefault(kind, at)
            seen[(number, channel, placed)].setdefault("placed", placed)
    per_channel: dict[str, list[Any]] = defaultdict(lambda: [0] * 7)
    for (_number, channel, placed), marks in seen.items():
        into = per_channel[channel]
        into[0] += 1
        for index, kind in ((1, "confirm"), (3, "ship"), (5, "deliver")):
            if kind in marks:
                into[index] += 1
                into[index + 1] += int((marks[kind] - placed).total_seconds())
    return per_channel


@EXAMPLES
@given(window=ranges)
async def test_fulfilment_report_equals_timeline(client, db, history, analyst, window):
    start, end = window
    expected = await milestones(db, start, end)
    report = (
        await client.get(
            "/api/v1/reports/fulfilment", params={"from": str(start), "to": str(end)}, headers=analyst
        )
    ).json()
    got = {c["channel"]: c for c in report["by_channel"]}
    assert set(got) == set(expected)
    for channel, (orders, confirmed, c_s, shipped, s_s, delivered, d_s) in expected.items():
        row = got[channel]
        assert (row["orders"], row["confirmed"], row["shipped"], row["delivered"]) == (
            orders,
            confirmed,
            shipped,
            delivered,
        )
        for hours, seconds, count in (
            ("hours_to_confirm", c_s, confirmed),
            ("hours_to_ship", s_s, shipped),
            ("hours_to_deliver", d_s, delivered),
        ):
            assert row[hours] == (round(seconds / count / 3600, 2) if count else None)
