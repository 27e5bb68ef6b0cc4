"""What one order contributes: the difference between two facts, added to the first, gives the
second; a cancelled order contributes to order counts and fulfilment only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from dingdan.platform.events import Event
from dingdan.reports import facts

STATUSES = ["pending_payment", "confirmed", "shipped", "cancelled"]


def fact_strategy():
    return st.fixed_dictionaries(
        {
            "day": st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 3, 31)),
            "channel": st.sampled_from(["web", "app"]),
            "payment_method": st.sampled_from(["cod", "online"]),
            "status": st.sampled_from(STATUSES),
            "county": st.sampled_from(["臺北市", "高雄市"]),
            "district": st.sampled_from(["大安區", "苓雅區"]),
            "units": st.integers(1, 9),
            "gross": st.integers(0, 9999).map(Decimal),
            "discounts": st.integers(0, 99).map(Decimal),
            "shipping": st.sampled_from([Decimal(0), Decimal(80)]),
            "refunds": st.integers(0, 99).map(Decimal),
            "first_order": st.booleans(),
            "confirm_seconds": st.none() | st.integers(0, 10**6),
            "ship_seconds": st.none() | st.integers(0, 10**6),
            "deliver_seconds": st.none() | st.integers(0, 10**6),
            "carrier": st.sampled_from(["", "sim"]),
            "exception": st.booleans(),
            "lines": st.lists(
                st.tuples(
                    st.sampled_from(["A", "B"]),
                    st.just(1),
                    st.just("tea"),
                    st.integers(1, 5),
                    st.integers(0, 999).map(str),
                ).map(list),
                max_size=2,
                unique_by=lambda line: line[0],
            ),
        }
    )


def apply(base: facts.Contributions, change: facts.Contributions) -> facts.Contributions:
    total: facts.Contributions = {}
    facts.add_into(total, base)
    facts.add_into(total, change)
    return {t: {k: m for k, m in rows.items() if any(m.values())} for t, rows in total.items()}


def nonzero(found: facts.Contributions) -> facts.Contributions:
    return {t: {k: m for k, m in rows.items() if any(m.values())} for t, rows in found.items()}


@given(st.none() | fact_strategy(), st.none() | fact_strategy())
def test_difference_turns_one_contribution_into_the_other(old, new):
    before, after = facts.contributions(old), facts.contributions(new)
    assert apply(before, facts.difference(before, after)) == nonzero(after)
    assert not any(facts.difference(after, after).values())


@given(fact_strategy())
def test_cancelled_orders_leave_sales_products_and_regions(fact):
    fact["status"] = "cancelled"
    found = facts.contributions(fact)
    assert not found[facts.DAILY_PRODUCT] and not found[facts.DAILY_REGION]
    assert list(found[facts.SALES]) == [(fact["day"], fact["channel"], fact["payment_method"], "cancelled")]


def test_an_order_belongs_to_its_day_in_taipei_and_refunds_add_up():
    placed = datetime(2025, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Taipei
    order = {
        "id": 1,
        "number": "N1",
        "created_at": placed,
        "channel_code": "web",
        "payment_method": "cod",
        "status": "confirmed",
        "ship_country": "TW",
        "ship_city": "台北市",
        "ship_district": "大安",
        "subtotal": Decimal(500),
        "discount_total": Decimal(0),
        "shipping_fee": Decimal(80),
        "item_count": 1,
    }
    timeline = [
        Event("order.placed", "order", "N1", {"to_status": "confirmed"}, created_at=placed),
        Event("order.refunded", "order", "N1", {"amount": "120"}, created_at=placed),
        Event("order.refunded", "order", "N1", {"amount": "30.5"}, created_at=placed),
    ]
    fact = facts.build_fact(order, [], timeline, first_order=True, zone=ZoneInfo("Asia/Taipei"))
    assert fact["day"] == date(2025, 3, 2)
    assert (fact["county"], fact["district"]) == ("臺北市", "大安區")
    assert fact["refunds"] == Decimal("150.5")
    assert fact["confirm_seconds"] == 0
