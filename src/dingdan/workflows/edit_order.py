"""Editing an order until it ships: add or remove lines, change quantities and prices.

The order row is locked first; then every stock row the order touches before or after the edit
is locked in sorted (sku, warehouse) order, the order's reservations are released and the new
demand reserved — all in the caller's one transaction, so either the whole edit holds or
nothing changed. The edit is one timeline event, `order.edited`, which also tells the
notifications what changed and how much is still due or to be refunded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.catalog import service as catalog
from dingdan.catalog.errors import UnknownSku
from dingdan.channels import service as channels
from dingdan.inventory import rules as stock_rules
from dingdan.inventory import service as inventory
from dingdan.inventory.models import StockLevel
from dingdan.orders import rules
from dingdan.orders import service as orders
from dingdan.orders.schemas import order_view
from dingdan.orders.states import OPEN_STATUSES, FulfillmentStatus, OrderStatus, PaymentStatus
from dingdan.platform.errors import Conflict, InvalidInput
from dingdan.platform.money import ZERO, money_text
from dingdan.workflows.place_order import DiscountTooLarge

# Review issues about lines are re-decided by the edit: the merchant chose these lines.
LINE_ISSUES = frozenset({"price_mismatch", "quantity_above_limit", "product_inactive", "backordered"})


class OrderNotEditable(Conflict):
    code = "order-not-editable"
    title = "The order can no longer be edited"


class DuplicateLine(InvalidInput):
    code = "duplicate-line"
    title = "A SKU appears on two lines"


@dataclass(frozen=True)
class WantedLine:
    """A line as it should be after the edit; unit_price None keeps the current price (or the
    catalog price for a new SKU)."""

    sku: str
    quantity: int
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class EditResult:
    order: dict[str, Any]
    previous_total: Decimal
    total: Decimal
    amount_due: Decimal  # what the customer still has to pay because of the edit
    refund_due: Decimal  # what the shop owes back because of the edit


async def edit_order(
    session: AsyncSession,
    *,
    number: str,
    lines: Sequence[WantedLine],
    reason: str,
    actor: str,
    shipping_fee: Decimal | None = None,
) -> EditResult:
    order = await orders.get_order_row(session, number=number, for_update=True)
    ensure_editable(order)
    _refuse_duplicates(lines)
    current = (await orders.get_lines(session, order_ids=[order["id"]]))[order["id"]]
    sellable = await catalog.find_sellable(session, skus={ln.sku for ln in lines})
    for index, line in enumerate(lines):
        if line.sku not in sellable:
            raise UnknownSku(
                "no product has the SKU {sku!r}", params={"sku": line.sku}, field=f"/lines/{index}/sku"
            )
    held = await inventory.reserved_for_order(session, order_ref=number)
    await _lock_stock_rows(session, {a.sku for a in held} | {ln.sku for ln in lines})
    await inventory.release(session, order_ref=number, actor=actor, reason=f"edit: {reason}"[:200])
    channel = await channels.get_channel(session, code=order["channel_code"])
    reservation = await inventory.reserve(
        session,
        demand=stock_rules.total_demand((ln.sku, ln.quantity) for ln in lines),
        order_ref=number,
        actor=actor,
        allow_shortage=channel.stock_policy == "backorder",
    )
    new_rows = _new_line_rows(lines, current, sellable, reservation.shortages)
    await session.execute(delete(orders.LINES).where(orders.LINES.c.order_id == order["id"]))
    await session.execute(insert(orders.LINES).values([{**r, "order_id": order["id"]} for r in new_rows]))
    updated = await orders.update_fields(
        session, order=order, values=_totals(order, new_rows, shipping_fee, reservation.shortages)
    )
    result = _result(order, updated, new_rows)
    orders.record_at_version(
        session,
        number,
        orders.TimelineEvent(
            "order.edited", actor, {"reason": reason, **_edit_payload(current, new_rows, result)}
        ),
        seq=updated["version"],
    )
    return result


def ensure_editable(order: Mapping[Any, Any]) -> None:
    status = OrderStatus(order["status"])
    if status not in OPEN_STATUSES or order["fulfillment_status"] != FulfillmentStatus.UNFULFILLED.value:
        raise OrderNotEditable(
            "an order in status {status} can no longer be edited",
            params={"status": status.value},
            field="status",
            current=status.value,
        )


def _refuse_duplicates(lines: Sequence[WantedLine]) -> None:
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.sku in seen:
            raise DuplicateLine(
                "{sku} appears twice; change its quantity",
                params={"sku": line.sku},
                field=f"/lines/{index}/sku",
            )
        seen.add(line.sku)


async def _lock_stock_rows(session: AsyncSession, skus: set[str]) -> None:
    # Release and reserve each lock their own SKUs; locking the union first, in one fixed
    # order, keeps two concurrent edits from waiting on each other in a circle.
    await session.execute(
        select(StockLevel.sku)
        .where(StockLevel.sku.in_(sorted(skus)))
        .order_by(StockLevel.sku, StockLevel.warehouse_id)
        .with_for_update()
    )


def _new_line_rows(
    wanted: Sequence[WantedLine],
    current: Sequence[Mapping[Any, Any]],
    sellable: Mapping[str, catalog.SellableVariant],
    shortages: Mapping[str, int],
) -> list[dict[str, Any]]:
    by_sku = {ln["sku"]: ln for ln in current}
    next_no = max((ln["line_no"] for ln in current), default=0) + 1
    rows = []
    for line in wanted:
        facts, before = sellable[line.sku], by_sku.get(line.sku)
        price = line.unit_price
        if price is None:
            price = before["unit_price"] if before else facts.price
        if before:
            line_no = before["line_no"]
        else:
            line_no, next_no = next_no, next_no + 1
        rows.append(
            {
                "line_no": line_no,
                "sku": line.sku,
                "product_id": facts.product_id,
                "product_name": before["product_name"] if before else facts.product_name,
                "category_code": facts.category_code,
                "attributes": before["attributes"] if before else facts.attributes,
                "catalog_price": facts.price,
                "unit_price": price,
                "quantity": line.quantity,
                "line_total": price * line.quantity,
                "backordered_quantity": min(shortages.get(line.sku, 0), line.quantity),
            }
        )
    return sorted(rows, key=lambda r: r["line_no"])


def _totals(
    order: Mapping[Any, Any],
    rows: Sequence[Mapping[Any, Any]],
    shipping_fee: Decimal | None,
    shortages: Mapping[str, int],
) -> dict[str, Any]:
    subtotal = sum((r["line_total"] for r in rows), ZERO)
    fee = order["shipping_fee"] if shipping_fee is None else shipping_fee
    if order["discount_total"] > subtotal + fee:
        raise DiscountTooLarge(
            "the order's discount is larger than the new lines and shipping", field="/lines"
        )
    kept = [i for i in order["review_issues"] if i["code"] not in LINE_ISSUES]
    backordered = [
        rules.issue("backordered", f"/lines/{index}/quantity", sku=r["sku"], missing=shortages[r["sku"]])
        for index, r in enumerate(rows)
        if shortages.get(r["sku"])
    ]
    return {
        "subtotal": subtotal,
        "shipping_fee": fee,
        "total": rules.order_total(subtotal, fee, order["discount_total"], order["currency"]),
        "item_count": sum(r["quantity"] for r in rows),
        "line_fingerprint": rules.line_fingerprint([(r["sku"], r["quantity"]) for r in rows]),
        "review_issues": kept + backordered,
    }


def _result(
    before: Mapping[Any, Any], after: Mapping[Any, Any], rows: Sequence[Mapping[Any, Any]]
) -> EditResult:
    previous, total = Decimal(before["total"]), Decimal(after["total"])
    paid = before["payment_status"] == PaymentStatus.PAID.value
    difference = total - previous if paid else ZERO
    return EditResult(
        order=order_view(after, rows),
        previous_total=previous,
        total=total,
        amount_due=max(difference, ZERO),
        refund_due=max(-difference, ZERO),
    )


def _edit_payload(
    before: Sequence[Mapping[Any, Any]], after: Sequence[Mapping[Any, Any]], result: EditResult
) -> dict[str, Any]:
    currency = result.order["currency"]
    old = {ln["sku"]: ln for ln in before}
    new = {ln["sku"]: ln for ln in after}
    changes = []
    for sku in sorted(old.keys() | new.keys()):
        was, now = old.get(sku), new.get(sku)
        pair = {
            "from_quantity": was["quantity"] if was else 0,
            "to_quantity": now["quantity"] if now else 0,
            "from_price": money_text(was["unit_price"], currency) if was else None,
            "to_price": money_text(now["unit_price"], currency) if now else None,
        }
        if pair["from_quantity"] != pair["to_quantity"] or pair["from_price"] != pair["to_price"]:
            changes.append({"sku": sku, **pair})
    return {
        "changes": changes,
        "previous_total": money_text(result.previous_total, currency),
        "total": money_text(result.total, currency),
        "amount_due": money_text(result.amount_due, currency),
        "refund_due": money_text(result.refund_due, currency),
    }
