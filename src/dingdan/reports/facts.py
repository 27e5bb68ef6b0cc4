"""What one order contributes to the rollups: pure functions, no session.

`build_fact` turns an order, its lines and its timeline into a fact (the columns of
`reports_order_fact`); `contributions` turns a fact into rows to add to each rollup table;
`difference` is what to add when an order's fact changes from one to another. The handlers,
the rebuild and the tests all go through these, so they cannot disagree.

Definitions (docs/reports.md):
- an order belongs to the local day (shop time zone) on which it was placed;
- sales, products and regions count every order that is not cancelled; orders by status and
  fulfilment count every order;
- refunds are the `amount`s of the order's refund events (topics in REFUND_TOPICS);
- fulfilment times run from placement to the first confirmation, shipment and delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from dingdan.platform import taiwan
from dingdan.platform.money import ZERO

CANCELLED = "cancelled"
CONFIRMED = "confirmed"
REFUND_TOPICS = frozenset({"order.refunded", "order.refund_issued", "order.refund_recorded"})
EXCEPTION_TOPICS = frozenset({"order.delivery_exception", "order.shipping_exception", "shipping.exception"})
SHIPPED_TOPICS = frozenset({"order.partially_shipped", "order.shipped"})
CONFIRMED_TOPIC = "order.confirmed"
DELIVERED_TOPIC = "order.delivered"
PLACED_TOPIC = "order.placed"
PAYLOAD_KEYS = ("to_status", "carrier", "amount")  # what a fact reads from an event's payload

Key = tuple[Any, ...]
Measures = dict[str, Any]
Contributions = dict[str, dict[Key, Measures]]

SALES = "reports_daily_sales"
DAILY_PRODUCT = "reports_daily_product"
MONTHLY_PRODUCT = "reports_monthly_product"
DAILY_REGION = "reports_daily_region"
MONTHLY_REGION = "reports_monthly_region"
FULFILMENT = "reports_daily_fulfilment"

# The key columns of every rollup table, in primary-key order.
ROLLUP_KEYS: dict[str, tuple[str, ...]] = {
    SALES: ("day", "channel", "payment_method", "status"),
    DAILY_PRODUCT: ("day", "sku", "product_id", "category"),
    MONTHLY_PRODUCT: ("month", "sku", "product_id", "category"),
    DAILY_REGION: ("day", "county", "district"),
    MONTHLY_REGION: ("month", "county", "district"),
    FULFILMENT: ("day", "channel", "carrier"),
}


def local_day(at: datetime, zone: tzinfo) -> date:
    return at.astimezone(zone).date()


def month_of(day: date) -> date:
    return day.replace(day=1)


def place_of(country: str, city: str, district: str) -> tuple[str, str]:
    """(county, district) in official spelling for Taiwan; (country, city) elsewhere."""
    if country != "TW":
        return country, city
    county = taiwan.normalize_county(city)
    if county is None:
        return city, district
    found = taiwan.find_district(county, district)
    return county, found.name if found else district


def _seconds_between(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def _milestones(placed_at: datetime, timeline: Sequence[Any]) -> dict[str, Any]:
    confirmed = shipped = delivered = None
    carrier, exception, refunds = "", False, ZERO
    for event in timeline:
        topic, at, payload = event.topic, event.created_at, event.payload or {}
        is_confirm = topic == CONFIRMED_TOPIC or (
            topic == PLACED_TOPIC and payload.get("to_status") == CONFIRMED
        )
        confirmed = confirmed or (at if is_confirm else None)
        shipped = shipped or (at if topic in SHIPPED_TOPICS else None)
        delivered = delivered or (at if topic == DELIVERED_TOPIC else None)
        carrier = carrier or str(payload.get("carrier") or "")[:32]
        exception = exception or topic in EXCEPTION_TOPICS
        if topic in REFUND_TOPICS:
            refunds += Decimal(str(payload.get("amount", "0")))
    return {
        "confirm_seconds": _seconds_between(placed_at, confirmed),
        "ship_seconds": _seconds_between(placed_at, shipped),
        "deliver_seconds": _seconds_between(placed_at, delivered),
        "carrier": carrier,
        "exception": exception,
        "refunds": refunds,
    }


def _line_summary(lines: Iterable[Mapping[Any, Any]]) -> list[list[Any]]:
    """[sku, product_id, category, units, sales] per product key, sorted (stable JSON)."""
    summed: dict[tuple[str, int, str], list[Any]] = {}
    for line in lines:
        key = (line["sku"], int(line["product_id"]), line["category_code"] or "")
        units_sales = summed.setdefault(key, [0, ZERO])
        units_sales[0] += int(line["quantity"])
        units_sales[1] += Decimal(line["line_total"])
    return [[*key, units, str(sales)] for key, (units, sales) in sorted(summed.items())]


def build_fact(
    order: Mapping[Any, Any],
    lines: Iterable[Mapping[Any, Any]],
    timeline: Sequence[Any],
    *,
    first_order: bool,
    zone: tzinfo,
) -> dict[str, Any]:
    """The fact of an order now. `timeline` holds objects with topic, created_at, payload."""
    county, district = place_of(order["ship_country"], order["ship_city"], order["ship_district"])
    return {
        "order_id": order["id"],
        "number": order["number"],
        "day": local_day(order["created_at"], zone),
        "channel": order["channel_code"],
        "payment_method": order["payment_method"],
        "status": order["status"],
        "county": county,
        "district": district,
        "units": int(order["item_count"]),
        "gross": Decimal(order["subtotal"]),
        "discounts": Decimal(order["discount_total"]),
        "shipping": Decimal(order["shipping_fee"]),
        "first_order": first_order,
        "lines": _line_summary(lines),
        **_milestones(order["created_at"], timeline),
    }


def contributions(fact: Mapping[Any, Any] | None) -> Contributions:
    """The rows one order adds to each rollup table (nothing for no fact)."""
    found: Contributions = {name: {} for name in ROLLUP_KEYS}
    if fact is None:
        return found
    day = fact["day"]
    found[SALES][(day, fact["channel"], fact["payment_method"], fact["status"])] = {
        "orders": 1,
        "units": fact["units"],
        "gross": Decimal(fact["gross"]),
        "discounts": Decimal(fact["discounts"]),
        "shipping": Decimal(fact["shipping"]),
        "refunds": Decimal(fact["refunds"]),
    }
    found[FULFILMENT][(day, fact["channel"], fact["carrier"])] = _fulfilment_measures(fact)
    if fact["status"] == CANCELLED:
        return found
    products: set[int] = set()
    categories: set[str] = set()
    for sku, product_id, category, units, sales in fact["lines"]:  # in SKU order
        measures = {
            "orders": 1,
            "product_orders": int(product_id not in products),
            "category_orders": int(category not in categories),
            "units": units,
            "sales": Decimal(sales),
        }
        products.add(product_id)
        categories.add(category)
        found[DAILY_PRODUCT][(day, sku, product_id, category)] = measures
        found[MONTHLY_PRODUCT][(month_of(day), sku, product_id, category)] = dict(measures)
    region = {
        "orders": 1,
        "new_customers": int(bool(fact["first_order"])),
        "units": fact["units"],
        "gross": Decimal(fact["gross"]),
        "discounts": Decimal(fact["discounts"]),
        "refunds": Decimal(fact["refunds"]),
    }
    found[DAILY_REGION][(day, fact["county"], fact["district"])] = region
    found[MONTHLY_REGION][(month_of(day), fact["county"], fact["district"])] = dict(region)
    return found


def _fulfilment_measures(fact: Mapping[Any, Any]) -> Measures:
    measures: Measures = {"orders": 1, "exceptions": int(bool(fact["exception"]))}
    for name, column in (("confirmed", "confirm"), ("shipped", "ship"), ("delivered", "deliver")):
        seconds = fact[f"{column}_seconds"]
        measures[name] = 0 if seconds is None else 1
        measures[f"{column}_seconds"] = seconds or 0
    return measures


def difference(old: Contributions, new: Contributions) -> Contributions:
    """new − old, per table and key, leaving out keys whose every measure is unchanged."""
    changes: Contributions = {}
    for table in ROLLUP_KEYS:
        rows: dict[Key, Measures] = {}
        for key in old.get(table, {}).keys() | new.get(table, {}).keys():
            before, after = old.get(table, {}).get(key, {}), new.get(table, {}).get(key, {})
            delta = {m: after.get(m, 0) - before.get(m, 0) for m in before.keys() | after.keys()}
            if any(delta.values()):
                rows[key] = delta
        changes[table] = rows
    return changes


def add_into(total: Contributions, more: Contributions) -> None:
    """Accumulate `more` into `total` (the rebuild sums every order this way)."""
    for table, rows in more.items():
        into = total.setdefault(table, {})
        for key, measures in rows.items():
            current = into.get(key)
            if current is None:
                into[key] = dict(measures)
            else:
                for name, value in measures.items():
                    current[name] = current.get(name, 0) + value
