from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from starlette.responses import Response

from dingdan.inventory import service as inventory
from dingdan.inventory.service import SkuLevels
from dingdan.platform.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, InventoryAdjust, InventoryRead

router = APIRouter(prefix="/api/v1", tags=["inventory"])
SkuPath = Annotated[str, Path(max_length=64)]


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"delta": 50, "reason": "進貨 PO-2026-118", "warehouse": "main"}]},
    )

    delta: Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    warehouse: Annotated[str, StringConstraints(max_length=32)] | None = None


class ThresholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low_stock_threshold: Annotated[StrictInt, Field(ge=0, le=1_000_000)]


class WarehouseLevel(BaseModel):
    warehouse: str
    name: str
    on_hand: int
    reserved: int
    available: int


class LevelsOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    low: bool
    warehouses: list[WarehouseLevel]


class MovementOut(BaseModel):
    id: int
    warehouse_id: int
    kind: str
    delta_on_hand: int
    delta_reserved: int
    reason: str
    order_ref: str | None
    actor: str
    created_at: datetime


class WarehouseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[\w\-]+$")
    ]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    priority: Annotated[StrictInt, Field(ge=0, le=10_000)] = 100


def levels_view(levels: SkuLevels) -> dict[str, object]:
    return {
        "sku": levels.sku,
        "on_hand": levels.on_hand,
        "reserved": levels.reserved,
        "available": levels.available,
        "low_stock_threshold": levels.low_stock_threshold,
        "low": levels.available <= levels.low_stock_threshold,
        "warehouses": [
            {
                "warehouse": w.code,
                "name": w.name,
                "on_hand": s.on_hand,
                "reserved": s.reserved,
                "available": s.on_hand - s.reserved,
            }
            for w, s in levels.levels
        ],
    }


@router.get(
    "/inventory/{sku}",
    response_model=LevelsOut,
    responses=problems(401, 403, 404),
    summary="Stock of one SKU: on hand, reserved and available, per warehouse",
)
async def get_levels(sku: SkuPath, db: DB, _: InventoryRead) -> Response:
    async with db.read() as session:
        return json_response(levels_view(await inventory.get_levels(session, sku=sku)))


@router.post(
    "/inventory/{sku}/adjustments",
    response_model=LevelsOut,
    status_code=201,
    responses=problems(401, 403, 404, 409, 422),
    summary="Receive (delta > 0) or write off (delta < 0) stock, with a reason",
)
async def post_adjustment(sku: SkuPath, data: AdjustmentIn, db: DB, who: InventoryAdjust) -> Response:
    async def adjust(session):
        levels = await inventory.adjust(
            session,
            sku=sku,
            delta=data.delta,
            reason=data.reason,
            actor=who.actor,
            warehouse_code=data.warehouse,
        )
        return levels_view(levels)

    return json_response(await db.write(adjust), status=201)


@router.put("/inventory/{sku}/threshold", response_model=LevelsOut, responses=problems(401, 403, 404, 422))
async def put_threshold(sku: SkuPath, data: ThresholdIn, db: DB, _: InventoryAdjust) -> Response:
    async def change(session):
        await inventory.set_threshold(session, sku=sku, threshold=data.low_stock_threshold)
        return levels_view(await inventory.get_levels(session, sku=sku))

    return json_response(await db.write(change))


@router.get(
    "/inventory/{sku}/movements",
    responses=problems(401, 403, 422),
    summary="The ledger of one SKU, newest first",
)
async def list_movements(
    sku: SkuPath,
    db: DB,
    _: InventoryRead,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Response:
    async with db.read() as session:
        rows = await inventory.list_movements(session, sku=sku, after_id=decode_cursor(cursor), limit=limit)
    items = [MovementOut.model_validate(r, from_attributes=True).model_dump(mode="json") for r in rows]
    return json_response(
        {"items": items, "next_cursor": encode_cursor(rows[-1].id) if len(rows) == limit else None}
    )


@router.get("/inventory", responses=problems(401, 403), summary="SKUs at or below their low-stock threshold")
async def list_low_stock(db: DB, _: InventoryRead) -> Response:
    async with db.read() as session:
        rows = await inventory.list_low_stock(session)
    return json_response(
        {"items": [{"sku": s, "available": a, "low_stock_threshold": t} for s, a, t in rows]}
    )


@router.get("/warehouses", responses=problems(401, 403))
async def list_warehouses(db: DB, _: InventoryRead) -> Response:
    async with db.read() as session:
        found = await inventory.list_warehouses(session)
    return json_response(
        [{"code": w.code, "name": w.name, "priority": w.priority, "active": w.active} for w in found]
    )


@router.post("/warehouses", status_code=201, responses=problems(401, 403, 409, 422))
async def post_warehouse(data: WarehouseIn, db: DB, _: InventoryAdjust) -> Response:
    async def create(session):
        w = await inventory.create_warehouse(session, code=data.code, name=data.name, priority=data.priority)
        return {"code": w.code, "name": w.name, "priority": w.priority, "active": w.active}

    return json_response(await db.write(create), status=201)
