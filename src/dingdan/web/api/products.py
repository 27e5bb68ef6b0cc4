from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from dingdan.catalog import service as catalog
from dingdan.catalog.models import Product
from dingdan.catalog.schemas import CategoryIn, CategoryOut, ProductIn, ProductOut, ProductPatch, VariantOut
from dingdan.platform.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, CatalogRead, CatalogWrite
from dingdan.workflows.manage_catalog import create_product

router = APIRouter(prefix="/api/v1", tags=["catalog"])
ProductId = Annotated[int, Path(ge=1, le=2**62)]


def product_view(product: Product) -> dict[str, object]:
    return ProductOut(
        id=product.id,
        name=product.name,
        description=product.description,
        category=product.category.code if product.category else None,
        active=product.active,
        image_url=product.image_url,
        created_at=product.created_at,
        variants=[
            VariantOut(
                sku=v.sku,
                price=v.price,
                attributes=v.attributes,
                barcode=v.barcode,
                weight_grams=v.weight_grams,
                active=v.active,
            )
            for v in product.variants
        ],
    ).model_dump(mode="json")


@router.post(
    "/products",
    status_code=201,
    response_model=ProductOut,
    responses=problems(401, 403, 409, 422),
    summary="Create a product with its variants",
)
async def post_product(data: ProductIn, db: DB, _: CatalogWrite) -> Response:
    async def create(session):
        product = await create_product(session, data=data)
        await session.refresh(product, ["variants", "category"])
        return product_view(product)

    return json_response(await db.write(create), status=201)


@router.get("/products", responses=problems(401, 403, 422), summary="List products, newest first")
async def list_products(
    db: DB,
    _: CatalogRead,
    q: Annotated[str | None, Query(max_length=100, description="name, SKU or barcode")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response:
    async with db.read() as session:
        found = await catalog.list_products(
            session, q=q, category=category, active=active, after_id=decode_cursor(cursor), limit=limit
        )
        items = [product_view(p) for p in found]
    next_cursor = encode_cursor(found[-1].id) if len(found) == limit else None
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get("/products/{product_id}", response_model=ProductOut, responses=problems(401, 403, 404))
async def get_product(product_id: ProductId, db: DB, _: CatalogRead) -> Response:
    async with db.read() as session:
        return json_response(product_view(await catalog.get_product(session, product_id=product_id)))


@router.patch("/products/{product_id}", response_model=ProductOut, responses=problems(401, 403, 404, 422))
async def patch_product(product_id: ProductId, data: ProductPatch, db: DB, _: CatalogWrite) -> Response:
    async def change(session):
        product = await catalog.update_product(session, product_id=product_id, data=data)
        await session.refresh(product, ["variants", "category"])
        return product_view(product)

    return json_response(await db.write(change))


@router.get("/categories", response_model=list[CategoryOut], responses=problems(401, 403))
async def list_categories(db: DB, _: CatalogRead) -> Response:
    async with db.read() as session:
        return json_response(
            [{"code": c.code, "name": c.name} for c in await catalog.list_categories(session)]
        )


@router.post(
    "/categories", status_code=201, response_model=CategoryOut, responses=problems(401, 403, 409, 422)
)
async def post_category(data: CategoryIn, db: DB, _: CatalogWrite) -> Response:
    async def create(session):
        category = await catalog.create_category(session, data=data)
        return {"code": category.code, "name": category.name}

    return json_response(await db.write(create), status=201)
