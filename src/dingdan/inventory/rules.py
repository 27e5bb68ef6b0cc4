"""Pure stock rules: how a demand is split across warehouses, when stock counts as low.

Allocation strategy ("one parcel where possible, then by priority"): for each SKU, the first
warehouse in priority order (lower number first, then id) that can cover the whole quantity
takes it; when none can, warehouses are drained in priority order and whatever remains is the
shortage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Level:
    sku: str
    warehouse_id: int
    priority: int
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class Allocation:
    sku: str
    warehouse_id: int
    quantity: int


@dataclass
class AllocationPlan:
    allocations: list[Allocation] = field(default_factory=list)
    shortages: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.shortages


def allocate(demand: Mapping[str, int], levels: Iterable[Level]) -> AllocationPlan:
    by_sku: dict[str, list[Level]] = {}
    for level in sorted(levels, key=lambda lv: (lv.priority, lv.warehouse_id)):
        by_sku.setdefault(level.sku, []).append(level)
    plan = AllocationPlan()
    for sku in sorted(demand):
        wanted = demand[sku]
        candidates = by_sku.get(sku, [])
        whole = next((lv for lv in candidates if lv.available >= wanted), None)
        if whole is not None:
            plan.allocations.append(Allocation(sku, whole.warehouse_id, wanted))
            continue
        remaining = wanted
        for level in candidates:
            take = min(remaining, max(level.available, 0))
            if take:
                plan.allocations.append(Allocation(sku, level.warehouse_id, take))
                remaining -= take
        if remaining:
            plan.shortages[sku] = remaining
    return plan


def allocate_in_turn(
    demands: Sequence[tuple[Mapping[str, int], bool]], levels: Iterable[Level]
) -> list[AllocationPlan]:
    """Allocate several orders' demands one after the other against the same locked levels,
    as if each had been placed alone in that order. A demand with a shortage that may not wait
    (second item False: no backorder) takes nothing; later demands still get their turn."""
    current: dict[str, dict[int, Level]] = {}
    for level in levels:
        current.setdefault(level.sku, {})[level.warehouse_id] = level
    plans = []
    for demand, allow_shortage in demands:
        # Only the demand's own SKUs: a batch's other levels would make a batch quadratic.
        plan = allocate(demand, [lv for sku in demand for lv in current.get(sku, {}).values()])
        if allow_shortage or not plan.shortages:
            for a in plan.allocations:
                by_warehouse = current[a.sku]
                level = by_warehouse[a.warehouse_id]
                by_warehouse[a.warehouse_id] = replace(level, reserved=level.reserved + a.quantity)
        plans.append(plan)
    return plans


def total_demand(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Quantities per SKU: two lines of one SKU must be reserved as one demand."""
    demand: dict[str, int] = {}
    for sku, quantity in lines:
        demand[sku] = demand.get(sku, 0) + quantity
    return demand


def crossed_low_stock(before: int, after: int, threshold: int) -> bool:
    """True when available stock falls to or below the threshold with this change."""
    return before > threshold >= after


def net_by_warehouse(rows: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int], int]:
    """Sum (sku, warehouse, delta) rows, dropping the pairs that net to zero."""
    totals: dict[tuple[str, int], int] = {}
    for sku, warehouse_id, delta in rows:
        totals[(sku, warehouse_id)] = totals.get((sku, warehouse_id), 0) + delta
    return {key: qty for key, qty in totals.items() if qty}
