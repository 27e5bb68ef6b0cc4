from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from dingdan.channels import service as channels
from dingdan.channels.models import Channel
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, ChannelsManage

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])
ChannelType = Literal["website", "app", "marketplace", "manual", "import"]
StockPolicy = Literal["reject", "backorder"]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z0-9_\-]+$")
    ]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    type: ChannelType
    stock_policy: StockPolicy = "reject"
    auto_confirm: bool = False
    orders_arrive_paid: bool = False


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None
    stock_policy: StockPolicy | None = None
    auto_confirm: bool | None = None
    orders_arrive_paid: bool | None = None
    active: bool | None = None
    webhook_secret: Secret | None = Field(
        default=None, description="adds a signing secret; the previous one stays valid until removed"
    )
    webhook_secrets: Annotated[list[Secret], Field(max_length=3)] | None = None


class ChannelOut(BaseModel):
    code: str
    name: str
    type: str
    stock_policy: str
    auto_confirm: bool
    orders_arrive_paid: bool
    active: bool
    webhook_secret_count: int


def channel_view(channel: Channel) -> dict[str, object]:
    return {
        "code": channel.code,
        "name": channel.name,
        "type": channel.type,
        "stock_policy": channel.stock_policy,
        "auto_confirm": channel.auto_confirm,
        "orders_arrive_paid": channel.orders_arrive_paid,
        "active": channel.active,
        "webhook_secret_count": len(channel.webhook_secrets or []),
    }


@router.get("", response_model=list[ChannelOut], responses=problems(401, 403))
async def list_channels(db: DB, _: ChannelsManage) -> Response:
    async with db.read() as session:
        return json_response([channel_view(c) for c in await channels.list_channels(session)])


@router.post("", status_code=201, response_model=ChannelOut, responses=problems(401, 403, 409, 422))
async def post_channel(data: ChannelIn, db: DB, _: ChannelsManage) -> Response:
    async def create(session):
        return channel_view(await channels.create_channel(session, **data.model_dump(), webhook_secrets=[]))

    return json_response(await db.write(create), status=201)


@router.patch("/{code}", response_model=ChannelOut, responses=problems(401, 403, 404, 422))
async def patch_channel(
    code: Annotated[str, Path(max_length=32)],
    data: ChannelPatch,
    db: DB,
    _: ChannelsManage,
) -> Response:
    async def change(session):
        fields = data.model_dump(exclude_unset=True, exclude={"webhook_secret"})
        fields = {k: v for k, v in fields.items() if v is not None}
        if data.webhook_secret:
            current = (await channels.get_channel(session, code=code)).webhook_secrets or []
            fields["webhook_secrets"] = [data.webhook_secret, *current][:3]
        return channel_view(await channels.update_channel(session, code=code, **fields))

    return json_response(await db.write(change))
