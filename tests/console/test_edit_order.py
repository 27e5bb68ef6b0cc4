"""Editing an order until it ships: stock follows the lines, atomically, on both databases."""

from __future__ import annotations

import asyncio

from dingdan.channels import service as channels
from dingdan.inventory import service as inventory
from dingdan.platform import events
from dingdan.reports.invariants import run_checks
from factories.shop import make_sku, order_body, stock_of


async def assert_invariants_hold(db) -> None:
    async with db.read() as session:
        broken = [f for f in await run_checks(session) if f.count]
    assert broken == []


async def place(client, headers, *lines, **extra) -> dict:
    answer = await client.post("/api/v1/orders", json=order_body(*lines, **extra), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def edit(client, headers, number, lines, reason="客戶來電修改"):
    body = {"lines": [dict(zip(("sku", "quantity"), ln[:2], strict=True), **({"unit_price": ln[2]} if len(ln) > 2 else {}))
                      for ln in lines], "reason": reason}
    return await client.post(f"/api/v1/orders/{number}/edits", json=body, headers=headers)


async def test_adding_changing_and_removing_lines_moves_the_reservations(client, db, login):
    owner = await login("owner")
    cup, tea, bag = (await make_sku(db, stock=10, price="300"), await make_sku(db, stock=10, price="200"),
                     await make_sku(db, stock=10, price="500"))
    order = await place(client, owner, (cup, 2), (tea, 1))
    answer = await edit(client, owner, order["number"], [(cup, 3), (bag, 2, "450")])
    assert answer.status_code == 200, answer.text
    edited = answer.json()["order"]
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]) for ln in edited["lines"]] == [
        (cup, 3, "300"), (bag, 2, "450")]
    assert edited["subtotal"] == "1800"
    assert (answer.json()["previous_total"], answer.json()["total"]) == ("880", "1880")  # shipping fee kept
    assert await stock_of(db, cup) == (10, 3, 7)
    assert await stock_of(db, tea) == (10, 0, 10)
    assert await stock_of(db, bag) == (10, 2, 8)
    async with db.read() as session:
        assert await inventory.ledger_drift(session) == []
        timeline = await events.list_for(session, "order", order["number"])
    await assert_invariants_hold(db)
    edits = [e for e in timeline if e.topic == "order.edited"]
    assert len(edits) == 1
    assert edits[0].payload["reason"] == "客戶來電修改"
    assert {c["sku"] for c in edits[0].payload["changes"]} == {cup, tea, bag}


async def test_an_edit_without_enough_stock_changes_nothing(client, db, login):
    owner = await login("owner")
    cup = await make_sku(db, stock=3)
    order = await place(client, owner, (cup, 2))
    answer = await edit(client, owner, order["number"], [(cup, 4)])
    assert answer.status_code == 409
    assert answer.json()["type"] == "/problems/out-of-stock"
    assert await stock_of(db, cup) == (3, 2, 1)
    again = (await client.get(f"/api/v1/orders/{order['number']}", headers=owner)).json()
    assert again["lines"][0]["quantity"] == 2
    async with db.read() as session:
        assert await inventory.ledger_drift(session) == []


async def test_a_cancelled_order_cannot_be_edited(client, db, login):
    owner = await login("owner")
    cup = await make_sku(db, stock=5)
    order = await place(client, owner, (cup, 1))
    await client.post(f"/api/v1/orders/{order['number']}/cancel", json={"reason": "x"}, headers=owner)
    answer = await edit(client, owner, order["number"], [(cup, 2)])
    assert answer.status_code == 409
    assert answer.json()["type"] == "/problems/order-not-editable"
    assert await stock_of(db, cup) == (5, 0, 5)


async def test_a_paid_order_reports_what_is_due_or_to_refund(client, db, login):
    owner = await login("owner")
    await db.write(lambda s: channels.update_channel(s, code="web", orders_arrive_paid=True))
    channels.forget_cached()
    cup = await make_sku(db, stock=10, price="1000")
    order = await place(client, owner, (cup, 2), shipping_fee="0")
    more = (await edit(client, owner, order["number"], [(cup, 3)])).json()
    assert (more["amount_due"], more["refund_due"]) == ("1000", "0")
    less = (await edit(client, owner, order["number"], [(cup, 1)])).json()
    assert (less["amount_due"], less["refund_due"]) == ("0", "2000")
    await assert_invariants_hold(db)


async def test_bad_edits_are_refused_with_the_field(client, db, login):
    owner = await login("owner")
    cup = await make_sku(db, stock=5)
    order = await place(client, owner, (cup, 1))
    unknown = await edit(client, owner, order["number"], [(cup, 1), ("NOPE", 1)])
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "/lines/1/sku"
    twice = await edit(client, owner, order["number"], [(cup, 1), (cup, 2)])
    assert twice.status_code == 422 and twice.json()["type"] == "/problems/duplicate-line"
    no_reason = await client.post(f"/api/v1/orders/{order['number']}/edits",
                                  json={"lines": [{"sku": cup, "quantity": 2}], "reason": ""}, headers=owner)
    assert no_reason.status_code == 422
    assert await stock_of(db, cup) == (5, 1, 4)


async def test_an_analyst_may_not_edit(client, db, login):
    owner, analyst = await login("owner"), await login("analyst")
    cup = await make_sku(db, stock=5)
    order = await place(client, owner, (cup, 1))
    assert (await edit(client, analyst, order["number"], [(cup, 2)])).status_code == 403
    assert await stock_of(db, cup) == (5, 1, 4)


async def test_concurrent_edits_never_reserve_more_than_is_on_hand(client, db, login):
    owner = await login("owner")
    shared, other = await make_sku(db, stock=10), await make_sku(db, stock=50)
    placed = [await place(client, owner, (shared, 1), (other, 1)) for _ in range(5)]
    answers = await asyncio.gather(
        *(edit(client, owner, o["number"], [(other, 2), (shared, 3)]) for o in placed)
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 409, 409, 409]  # 5 held + 2 × 2 more = 9; a third would need 11
    on_hand, reserved, _ = await stock_of(db, shared)
    assert (on_hand, reserved) == (10, 9)
    await assert_invariants_hold(db)


async def test_on_a_backorder_channel_an_edit_beyond_stock_waits_for_stock(client, db, login):
    owner = await login("owner")
    await db.write(lambda s: channels.update_channel(s, code="web", stock_policy="backorder"))
    channels.forget_cached()
    cup = await make_sku(db, stock=3)
    order = await place(client, owner, (cup, 1))
    answer = await edit(client, owner, order["number"], [(cup, 5)])
    assert answer.status_code == 200, answer.text
    line = answer.json()["order"]["lines"][0]
    assert (line["quantity"], line["backordered_quantity"]) == (5, 2)
    assert [i["code"] for i in answer.json()["order"]["review_issues"]] == ["backordered"]
    assert await stock_of(db, cup) == (3, 3, 0)
    await assert_invariants_hold(db)
