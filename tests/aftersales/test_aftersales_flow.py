"""A return from request to refund, over the staff API, with the stock ledger and timeline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dingdan.aftersales.errors import OutsidePolicy, QuantityExceeded
from dingdan.aftersales.rules import RequestKind
from dingdan.inventory import service as inventory
from dingdan.inventory.models import Movement
from dingdan.orders.errors import OrderNotFound
from dingdan.platform import events
from dingdan.platform.events import EventRow
from dingdan.workflows.aftersales_flow import RequestedLine, open_request
from factories.shop import stock_of

from .conftest import OWNER, STRANGER, delivered_order


async def ask(db, number, *lines, kind=RequestKind.RETURN_REFUND, customer=OWNER, reason="尺寸不合"):
    return await db.write(
        open_request, order_number=number, customer=customer, kind=kind,
        lines=[RequestedLine(n, q) for n, q in lines], reason=reason,
    )  # fmt: skip


async def test_return_goes_from_request_to_refund_and_restocks_the_chosen_warehouse(
    client, db, login, frozen
):
    order = await delivered_order(client, db, login)
    sku = order["lines"][0]["sku"]
    await db.write(lambda s: inventory.create_warehouse(s, code="returns", name="退貨倉", priority=50))
    request = await ask(db, order["number"], (1, 1))
    assert (request["status"], request["refund_amount"]) == ("requested", "400.00")
    support = await login("support")
    base = f"/api/v1/aftersales/requests/{request['number']}"

    queue = (await client.get("/api/v1/aftersales/requests?status=requested", headers=support)).json()
    assert [r["number"] for r in queue["items"]] == [request["number"]]
    steps = [
        ("/decision", {"approve": True}, "approved"),
        ("/received", {"note": "外箱完好"}, "received"),
        ("/disposition", {"disposition": "restock", "warehouse": "returns"}, "inspected"),
        ("/refund", None, "refund_pending"),
        ("/complete", {"reference": "re_123"}, "completed"),
    ]
    for path, body, status in steps:
        response = await client.post(base + path, json=body, headers=support)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status

    async with db.read() as session:
        movements = (await session.execute(select(Movement).where(Movement.sku == sku))).scalars().all()
        returns = await inventory.get_warehouse(session, code="returns")
        refund = [e for e in await events.list_for(session, "aftersales_request", request["number"])]
        timeline = [e.topic for e in await events.list_for(session, "order", order["number"])]
    restock = [m for m in movements if request["number"] in m.reason]
    assert [(m.warehouse_id, m.delta_on_hand, m.kind) for m in restock] == [(returns.id, 1, "adjust")]
    asked = [e for e in refund if e.topic == "aftersales.refund_requested"]
    assert asked[0].payload["amount"] == "400.00" and asked[0].payload["order_number"] == order["number"]
    assert "order.aftersales_requested" in timeline and "order.aftersales_completed" in timeline
    assert (await stock_of(db, sku))[0] == 10 + 1  # make_sku stocked 10 in main, +1 back in returns


async def test_write_off_leaves_stock_unchanged_but_writes_both_ledger_rows(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    sku = order["lines"][1]["sku"]
    request = await ask(db, order["number"], (2, 1))
    support = await login("support")
    base = f"/api/v1/aftersales/requests/{request['number']}"
    before = await stock_of(db, sku)
    for path, body in [
        ("/decision", {"approve": True}),
        ("/received", None),
        ("/disposition", {"disposition": "write_off"}),
    ]:
        assert (await client.post(base + path, json=body, headers=support)).status_code == 200
    assert await stock_of(db, sku) == before
    async with db.read() as session:
        rows = (
            (await session.execute(select(Movement).where(Movement.reason.contains(request["number"]))))
            .scalars()
            .all()
        )
    assert sorted(m.delta_on_hand for m in rows) == [-1, 1]


async def test_a_step_out_of_order_is_refused_with_409(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    request = await ask(db, order["number"], (1, 1))
    response = await client.post(
        f"/api/v1/aftersales/requests/{request['number']}/refund", headers=await login("support")
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/aftersales-step-refused"


async def test_rejection_needs_a_reason_and_frees_the_quantity(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    request = await ask(db, order["number"], (1, 2))
    with pytest.raises(QuantityExceeded):
        await ask(db, order["number"], (1, 1))
    support = await login("support")
    url = f"/api/v1/aftersales/requests/{request['number']}/decision"
    assert (await client.post(url, json={"approve": False}, headers=support)).status_code == 422
    rejected = await client.post(url, json={"approve": False, "reason": "商品已使用"}, headers=support)
    assert rejected.json()["decision_reason"] == "商品已使用"
    assert (await ask(db, order["number"], (1, 1)))["status"] == "requested"


async def test_the_policy_window_closes_seven_days_after_delivery(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    frozen.advance(days=7, seconds=1)
    with pytest.raises(OutsidePolicy):
        await ask(db, order["number"], (1, 1))


async def test_lost_parcel_compensates_the_whole_order_without_goods_coming_back(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    request = await ask(db, order["number"], kind=RequestKind.LOST_PARCEL, reason="未收到包裹")
    assert request["refund_amount"] == order["total"] + ".00"
    support = await login("support")
    base = f"/api/v1/aftersales/requests/{request['number']}"
    assert (await client.post(base + "/decision", json={"approve": True}, headers=support)).status_code == 200
    assert (await client.post(base + "/received", headers=support)).status_code == 409
    assert (await client.post(base + "/refund", headers=support)).json()["status"] == "refund_pending"


async def test_only_the_orders_customer_may_ask(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    with pytest.raises(OrderNotFound):
        await ask(db, order["number"], (1, 1), customer=STRANGER)


async def test_support_and_owner_work_the_queue_other_roles_may_not(client, db, login, frozen):
    order = await delivered_order(client, db, login)
    request = await ask(db, order["number"], (1, 1))
    url = f"/api/v1/aftersales/requests/{request['number']}"
    for role, status in [
        ("support", 200),
        ("owner", 200),
        ("clerk", 403),
        ("warehouse", 403),
        ("analyst", 403),
    ]:
        assert (await client.get(url, headers=await login(role))).status_code == status, role
    assert (await client.get(url)).status_code == 401


async def test_a_return_request_alerts_support_in_the_console(client, db, login, frozen):
    support = await login("support")
    order = await delivered_order(client, db, login)
    await ask(db, order["number"], (1, 1), reason="顏色不符")
    await client.app.state.relay.drain()
    alerts = (await client.get("/api/v1/notifications/alerts", headers=support)).json()["items"]
    returns = [a for a in alerts if a["template"] == "merchant.return_requested"]
    assert len(returns) == 1 and "顏色不符" in returns[0]["text"]
    async with db.read() as session:
        topics = set((await session.execute(select(EventRow.topic))).scalars())
    assert "aftersales.requested" in topics
