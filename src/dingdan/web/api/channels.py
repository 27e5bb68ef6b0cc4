"""Sales channels: settings, webhook secrets and API keys (owner only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from dingdan.channels import service as channels
from dingdan.channels.models import Channel, ChannelApiKey
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, ChannelsManage

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])
ChannelType = Literal["website", "app", "marketplace", "manual", "import"]
StockPolicy = Literal["reject", "backorder"]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]
CodePath = Annotated[str, Path(max_length=32)]


class ChannelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "shopify-tw", "name": "Shopify 台灣", "type": "marketplace"}]
        },
    )

    code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z0-9_\-]+$")
    ]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    type: ChannelType
    stock_policy: StockPolicy | None = Field(
        default=None, description="default by type: backorder for marketplace and import, else reject"
    )
    auto_confirm: bool = False
    orders_arrive_paid: bool | None = Field(default=None, description="default: true for marketplaces")
    webhook_secret: Secret | None = None


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


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] = "API key"


class ApiKeyOut(BaseModel):
    id: int
    name: str
    display_prefix: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="the key itself, shown only in this answer; send it as Bearer")


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


def api_key_view(key: ChannelApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "display_prefix": key.display_prefix,
        "created_by": key.created_by,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def new_channel_fields(data: ChannelIn) -> dict[str, Any]:
    """The stored fields of a new channel, with the type's defaults for what was not sent."""
    defaults = channels.channel_defaults(data.type)
    fields = data.model_dump(exclude={"webhook_secret"})
    for name, value in defaults.items():
        if fields.get(name) is None:
            fields[name] = value
    fields["webhook_secrets"] = [data.webhook_secret] if data.webhook_secret else []
    return fields


@router.get("", response_model=list[ChannelOut], responses=problems(401, 403))
async def list_channels(db: DB, _: ChannelsManage) -> Response:
    async with db.read() as session:
        return json_response([channel_view(c) for c in await channels.list_channels(session)])


@router.post("", status_code=201, response_model=ChannelOut, responses=problems(401, 403, 409, 422))
async def post_channel(data: ChannelIn, db: DB, _: ChannelsManage) -> Response:
    async def create(session: AsyncSession) -> dict[str, object]:
        return channel_view(await channels.create_channel(session, **new_channel_fields(data)))

    return json_response(await db.write(create), status=201)


@router.patch("/{code}", response_model=ChannelOut, responses=problems(401, 403, 404, 422))
async def patch_channel(code: CodePath, data: ChannelPatch, db: DB, _: ChannelsManage) -> Response:
    async def change(session: AsyncSession) -> dict[str, object]:
        fields = data.model_dump(exclude_unset=True, exclude={"webhook_secret"})
        fields = {k: v for k, v in fields.items() if v is not None}
        if fields:
            await channels.update_channel(session, code=code, **fields)
        if data.webhook_secret:
            await channels.add_webhook_secret(session, code=code, secret=data.webhook_secret)
        return channel_view(await channels.get_channel(session, code=code))

    return json_response(await db.write(change))


@router.post(
    "/{code}/api-keys",
    status_code=201,
    response_model=NewApiKeyOut,
    responses=problems(401, 403, 404, 422),
    summary="Create an API key for the channel; the key is in this answer only",
)
async def post_api_key(code: CodePath, db: DB, who: ChannelsManage, data: ApiKeyIn | None = None) -> Response:
    name = data.name if data else "API key"

    async def create(session: AsyncSession) -> dict[str, Any]:
        row, plaintext = await channels.create_api_key(session, code=code, name=name, actor=who.actor)
        return {**api_key_view(row), "key": plaintext}

    return json_response(await db.write(create), status=201, headers={"Cache-Control": "no-store"})


@router.get("/{code}/api-keys", response_model=list[ApiKeyOut], responses=problems(401, 403, 404))
async def list_api_keys(code: CodePath, db: DB, _: ChannelsManage) -> Response:
    async with db.read() as session:
        await channels.get_channel(session, code=code)
        return json_response([api_key_view(k) for k in await channels.list_api_keys(session, code=code)])


@router.delete(
    "/{code}/api-keys/{key_id}",
    response_model=ApiKeyOut,
    responses=problems(401, 403, 404),
    summary="Revoke an API key: requests with it are refused from now on",
)
async def revoke_api_key(
    code: CodePath, key_id: Annotated[int, Path(ge=1, le=2**62)], db: DB, _: ChannelsManage
) -> Response:
    async def revoke(session: AsyncSession) -> dict[str, Any]:
        return api_key_view(await channels.revoke_api_key(session, code=code, key_id=key_id))

    return json_response(await db.write(revoke))
