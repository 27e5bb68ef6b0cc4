"""Shapes of catalog data over the API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from dingdan.platform import outbound

Sku = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.\-/]+$")
]
Price = Annotated[Decimal, Field(ge=0, le=Decimal("99999999.99"), decimal_places=2)]
AttributeMap = Annotated[
    dict[Annotated[str, StringConstraints(max_length=40)], Annotated[str, StringConstraints(max_length=120)]],
    Field(max_length=20, examples=[{"規格": "500ml", "顏色": "黑", "尺寸": "M"}]),
]


def _public_image_url(url: str) -> str:
    """A shop path, or an https URL that names no private or ambiguous address (browsers load it)."""
    return outbound.check_literal(url, field="image_url") if url.startswith("https://") else url


ImageUrl = Annotated[
    str, StringConstraints(max_length=500, pattern=r"^(https://|/[^/\\])"), AfterValidator(_public_image_url)
]


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    price: Price
    attributes: AttributeMap = Field(default_factory=dict)
    barcode: Annotated[str, StringConstraints(max_length=64)] | None = None
    weight_grams: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    active: bool = True
    low_stock_threshold: Annotated[int, Field(ge=0, le=1_000_000)] = 5


class ProductIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "保溫杯",
                    "category": "kitchen",
                    "variants": [
                        {"sku": "CUP-500-BLK", "price": "590", "attributes": {"規格": "500ml", "顏色": "黑"}}
                    ],
                }
            ]
        },
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    category: Annotated[str, StringConstraints(max_length=64)] | None = None
    active: bool = True
    image_url: ImageUrl | None = None
    variants: Annotated[list[VariantIn], Field(min_length=1, max_length=200)]


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    active: bool | None = None


class VariantOut(BaseModel):
    sku: str
    price: Decimal
    attributes: dict[str, str]
    barcode: str | None
    weight_grams: int | None
    active: bool


class ProductOut(BaseModel):
    id: int
    name: str
    description: str
    category: str | None
    active: bool
    image_url: str | None
    created_at: datetime
    variants: list[VariantOut]


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w\-]+$")
    ]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CategoryOut(BaseModel):
    code: str
    name: str
