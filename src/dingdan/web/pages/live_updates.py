"""GET /console/events: server-sent events for open console pages, fed by the live feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from dingdan.auth.rules import Permission
from dingdan.web import i18n
from dingdan.web.deps import Principal
from dingdan.web.live import LiveFeed
from dingdan.web.pages.session import staff_page
from dingdan.web.pages.wording import STATUS

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Principal, Depends(staff_page(Permission.ORDERS_READ))]
RETRY_MS = 3000


def live_text(translate: Any, message: dict[str, Any]) -> str:
    """One line a person reads in the console's notice area."""
    topic, ref = message.get("topic", ""), message.get("ref", "")
    if topic == "order.placed":
        return str(translate("New order {number}")).format(number=ref)
    if topic == "inventory.low_stock":
        return str(translate("Low stock: {sku} ({available} left)")).format(
            sku=ref, available=message.get("available")
        )
    if topic in {"order.edited", "order.corrected"}:
        return str(translate("Order {number} was changed")).format(number=ref)
    status = topic.removeprefix("order.")
    label = translate(STATUS[status]) if status in STATUS else status
    return str(translate("Order {number}: {status}")).format(number=ref, status=label)


@router.get("/events", response_class=EventSourceResponse)
async def console_events(request: Request, who: Reader) -> AsyncIterator[ServerSentEvent]:
    feed: LiveFeed = request.app.state.live
    translate = i18n.translations(i18n.pick_locale(request)).ugettext
    async with feed.subscribe() as queue:
        yield ServerSentEvent(comment="connected", retry=RETRY_MS)
        while True:
            message = await queue.get()
            yield ServerSentEvent(
                data={**message, "text": live_text(translate, message)}, id=str(message["id"])
            )
