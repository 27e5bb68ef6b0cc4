"""Marketplace webhooks: POST /webhooks/{format}/{channel_code}, one route per format."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from dingdan.channels.adapters import MARKETPLACE_FORMATS, MarketplaceFormat
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB
from dingdan.workflows.marketplace_intake import receive_marketplace_order

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
ChannelPath = Annotated[str, Path(max_length=32, description="the channel's code")]


class WebhookAnswer(BaseModel):
    result: str
    order_number: str | None


def _route_for(fmt: MarketplaceFormat) -> Callable[..., Awaitable[Response]]:
    async def receive(channel_code: ChannelPath, request: Request, db: DB) -> Response:
        outcome = await receive_marketplace_order(
            db,
            format_code=fmt.code,
            channel_code=channel_code,
            raw_body=await request.body(),
            headers=dict(request.headers),
        )
        status = 201 if outcome.result == "created" else 200
        return json_response({"result": outcome.result, "order_number": outcome.order_number}, status)

    return receive


for _fmt in MARKETPLACE_FORMATS.values():
    router.add_api_route(
        f"/{_fmt.code}/{{channel_code}}",
        _route_for(_fmt),
        methods=["POST"],
        status_code=201,
        response_model=WebhookAnswer,
        responses={
            200: {"description": "a replay, or not an order event"},
            **problems(401, 404, 409, 413, 422),
        },
        summary=f"{_fmt.title} order webhook (signed; {_fmt.signature_header})",
        name=f"webhook_{_fmt.code}",
    )
