from __future__ import annotations

from dingdan.platform.errors import Conflict, InvalidInput, NotFound


class OrderNotFound(NotFound):
    code = "order-not-found"
    title = "Order not found"


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = "The order's status does not allow this"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency-key-reused"
    title = "Idempotency-Key was used with a different request"


class RequestOutstanding(Conflict):
    code = "request-outstanding"
    title = "A request with this Idempotency-Key is still being processed"


class AlreadyPlaced(Exception):
    """Raised inside the placement transaction when a unique intake key already exists."""
