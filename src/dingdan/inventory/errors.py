from __future__ import annotations

from dingdan.platform.errors import Conflict, NotFound


class OutOfStock(Conflict):
    code = "out-of-stock"
    title = "Out of stock"


class InsufficientStock(Conflict):
    code = "insufficient-stock"
    title = "Adjustment would leave less stock than is reserved"


class SkuNotStocked(NotFound):
    code = "sku-not-stocked"
    title = "No stock record for this SKU"


class WarehouseNotFound(NotFound):
    code = "warehouse-not-found"
    title = "Warehouse not found"


class NotReserved(Conflict):
    code = "not-reserved"
    title = "The order holds less of this SKU than asked for"
