from __future__ import annotations

from dingdan.platform.errors import Conflict, InvalidInput, NotFound


class ProductNotFound(NotFound):
    code = "product-not-found"
    title = "Product not found"


class UnknownSku(InvalidInput):
    code = "unknown-sku"
    title = "Unknown SKU"


class DuplicateSku(Conflict):
    code = "duplicate-sku"
    title = "SKU already exists"
