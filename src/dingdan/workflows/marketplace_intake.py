"""A marketplace's signed webhook becomes an order (docs/marketplaces.md).

Nothing is written before the signature over the raw body is checked against the channel's
secrets, nor when the payload cannot be mapped. The order is placed through the same intake as
the API, keyed by channel + the marketplace's order id, so a replay or a burst of identical
deliveries creates one order. Handled delivery ids are kept for the webhook retention
(workflows.forget_webhooks) so that a replay is answered without the work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from dingdan.channels import service as channels
from dingdan.channels.adapters import get_marketplace_format
from dingdan.channels.adapters.marketplace import MarketplaceFormat, complete_intake, header_value
from dingdan.channels.errors import MarketplacePayloadError, WebhookSignatureInvalid
from dingdan.orders.schemas import OrderIn
from dingdan.platform.db import Database
from dingdan.workflows.forget_webhooks import forget_in_batches, retention_cutoff
from dingdan.workflows.place_order import Intake, submit_order

MAX_DELIVERY_ID_LENGTH = 100


@dataclass(frozen=True)
class WebhookOutcome:
    """`result` is created, duplicate (already known) or ignored (not an order event)."""

    result: str
    order_number: str | None = None


async def receive_marketplace_order(
    db: Database, *, format_code: str, channel_code: str, raw_body: bytes, headers: dict[str, str]
) -> WebhookOutcome:
    fmt = get_marketplace_format(format_code)
    async with db.read() as session:
        channel = await channels.get_channel(session, code=channel_code)
        secrets = list(channel.webhook_secrets or [])
        if not fmt.verify_signature(raw_body, header_value(headers, fmt.signature_header), secrets):
            raise WebhookSignatureInvalid("the signature does not match", field=fmt.signature_header)
        delivery_id = _delivery_id(fmt, headers)
        seen = delivery_id and await channels.find_delivery(
            session, code=channel_code, delivery_id=delivery_id
        )
    if seen:
        return WebhookOutcome("duplicate", seen.order_number)
    if not fmt.creates_order(headers):
        return WebhookOutcome("ignored")
    request = _order_request(fmt, channel_code, raw_body)
    intake = Intake(actor=f"channel:{channel_code}", scope=f"channel:{channel_code}")
    placed = await submit_order(db, request=request, intake=intake)
    number = placed.body["number"]
    if delivery_id:
        await db.write(
            channels.remember_delivery, code=channel_code, delivery_id=delivery_id, order_number=number
        )
    return WebhookOutcome("created" if placed.created else "duplicate", number)


def _delivery_id(fmt: MarketplaceFormat, headers: dict[str, str]) -> str | None:
    if not fmt.delivery_id_header:
        return None
    value = (header_value(headers, fmt.delivery_id_header) or "").strip()
    return value[:MAX_DELIVERY_ID_LENGTH] or None


def _order_request(fmt: MarketplaceFormat, channel_code: str, raw_body: bytes) -> OrderIn:
    try:
        payload = json.loads(raw_body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise MarketplacePayloadError("payload", "is not JSON") from None
    intake = complete_intake(fmt.map_order(payload, channel=channel_code))
    try:
        return OrderIn.model_validate(intake)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "payload"
        raise MarketplacePayloadError(field, str(first.get("msg", "is not valid"))) from None


async def purge_old_deliveries(db: Database) -> int:
    """Forget delivery ids older than the webhook retention (replays after that are still
    caught by channel + external id); the schedule runs forget_webhooks for every kind."""
    return await forget_in_batches(db, channels.forget_deliveries_before, retention_cutoff())
