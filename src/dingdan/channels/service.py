"""Channel entry points. Intake reads channels through a short-lived cache: a setting changed
in the console takes effect within CACHE_SECONDS on every process."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.channels import rules
from dingdan.channels.errors import ApiKeyNotFound, ChannelInactive, ChannelNotFound, DuplicateChannel
from dingdan.channels.models import Channel, ChannelApiKey, WebhookDelivery
from dingdan.platform import clock, retention
from dingdan.platform.db import Database

CACHE_SECONDS = 5.0
MAX_CACHED_KEYS = 10_000
MAX_WEBHOOK_SECRETS = 3
SEED_CHANNELS = (
    {"code": "web", "name": "官方網站", "type": "website", "stock_policy": "reject", "auto_confirm": True},
    {"code": "app", "name": "手機 App", "type": "app", "stock_policy": "reject", "auto_confirm": True},
    {
        "code": "manual",
        "name": "電話 / Email 訂單",
        "type": "manual",
        "stock_policy": "reject",
        "auto_confirm": False,
    },
)


@dataclass(frozen=True)
class ChannelSettings:
    code: str
    name: str
    type: str
    stock_policy: str
    auto_confirm: bool
    orders_arrive_paid: bool
    active: bool

    @property
    def allows_backorder(self) -> bool:
        return self.stock_policy == "backorder"


_cache: dict[tuple[str, str], tuple[float, ChannelSettings]] = {}
_holders: dict[tuple[str, str], tuple[float, KeyHolder]] = {}


def _settings(channel: Channel) -> ChannelSettings:
    return ChannelSettings(
        channel.code,
        channel.name,
        channel.type,
        channel.stock_policy,
        channel.auto_confirm,
        channel.orders_arrive_paid,
        channel.active,
    )


def forget_cached() -> None:
    _cache.clear()
    _holders.clear()


async def get_intake_settings(session: AsyncSession, *, code: str) -> ChannelSettings:
    """The settings of an active channel, from the cache when fresh."""
    key = (str(session.get_bind().engine.url), code)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        settings = hit[1]
    else:
        settings = _settings(await get_channel(session, code=code))
        _cache[key] = (time.monotonic(), settings)
    if not settings.active:
        raise ChannelInactive("channel {code!r} does not take orders", params={"code": code}, field="channel")
    return settings


async def get_channel(session: AsyncSession, *, code: str) -> Channel:
    found = await session.scalar(select(Channel).where(Channel.code == code))
    if found is None:
        raise ChannelNotFound("no channel {code!r}", params={"code": code}, field="channel")
    return found


async def list_channels(session: AsyncSession) -> Sequence[Channel]:
    return (await session.execute(select(Channel).order_by(Channel.id))).scalars().all()


async def create_channel(session: AsyncSession, **fields: Any) -> Channel:
    if await session.scalar(select(Channel.id).where(Channel.code == fields["code"])):
        raise DuplicateChannel("channel {code!r} exists", params={"code": fields["code"]}, field="code")
    channel = Channel(created_at=clock.now(), **fields)
    session.add(channel)
    await session.flush()
    return channel


async def update_channel(session: AsyncSession, *, code: str, **fields: Any) -> Channel:
    channel = await get_channel(session, code=code)
    for name, value in fields.items():
        setattr(channel, name, value)
    await session.flush()
    forget_cached()
    return channel


async def ensure_seed_channels(session: AsyncSession) -> None:
    existing = set((await session.execute(select(Channel.code))).scalars())
    for seed in SEED_CHANNELS:
        if seed["code"] not in existing:
            await create_channel(session, **seed)


def channel_defaults(channel_type: str) -> dict[str, Any]:
    """What a new channel of this type starts with: marketplace sales arrive paid and are
    kept even when stock is short; website and app buyers are still at the checkout."""
    kind = rules.ChannelType(channel_type)
    return {
        "stock_policy": rules.default_stock_policy(kind).value,
        "orders_arrive_paid": kind is rules.ChannelType.MARKETPLACE,
    }


async def add_webhook_secret(session: AsyncSession, *, code: str, secret: str) -> Channel:
    """Adds a signing secret in front; the previous ones stay valid (rotation), newest kept."""
    channel = await get_channel(session, code=code)
    kept = [s for s in channel.webhook_secrets or [] if s != secret]
    return await update_channel(session, code=code, webhook_secrets=[secret, *kept][:MAX_WEBHOOK_SECRETS])


# API keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyHolder:
    """The channel an API key speaks for."""

    key_id: int
    channel_code: str
    display_prefix: str


async def create_api_key(
    session: AsyncSession, *, code: str, name: str, actor: str
) -> tuple[ChannelApiKey, str]:
    """A new key for the channel: (the stored row, the plaintext to show exactly once)."""
    await get_channel(session, code=code)
    generated = rules.generate_api_key()
    row = ChannelApiKey(
        channel_code=code,
        name=name,
        key_hash=generated.key_hash,
        display_prefix=generated.display_prefix,
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row, generated.plaintext


async def list_api_keys(session: AsyncSession, *, code: str) -> Sequence[ChannelApiKey]:
    stmt = select(ChannelApiKey).where(ChannelApiKey.channel_code == code).order_by(ChannelApiKey.id)
    return (await session.execute(stmt)).scalars().all()


async def revoke_api_key(session: AsyncSession, *, code: str, key_id: int) -> ChannelApiKey:
    row = await session.scalar(
        select(ChannelApiKey).where(ChannelApiKey.id == key_id, ChannelApiKey.channel_code == code)
    )
    if row is None:
        raise ApiKeyNotFound(
            "channel {code!r} has no API key {key_id}",
            params={"code": code, "key_id": key_id},
            field="key_id",
        )
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        await session.flush()
    forget_cached()
    return row


_FIND_KEY_HOLDER = (
    select(ChannelApiKey.id, ChannelApiKey.channel_code, ChannelApiKey.display_prefix)
    .join(Channel, Channel.code == ChannelApiKey.channel_code)
    .where(
        ChannelApiKey.key_hash == bindparam("key_hash"),
        ChannelApiKey.revoked_at.is_(None),
        Channel.active.is_(True),
    )
)


async def find_key_holder(db: Database, *, key: str) -> KeyHolder | None:
    """The channel of a live (not revoked) key on an active channel, or None. Found keys are
    kept for CACHE_SECONDS, like the channel settings: a key revoked in another process stops
    working there within that time, in this process at once. A kept key costs no session."""
    if not rules.looks_like_api_key(key):
        return None
    key_hash = rules.hash_api_key(key)
    hit = _holders.get((db.url, key_hash))
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    async with db.read() as session:
        row = (await session.execute(_FIND_KEY_HOLDER, {"key_hash": key_hash})).first()
    if row is None:
        return None  # unknown keys are not kept: guessing must not fill the memory
    if len(_holders) >= MAX_CACHED_KEYS:
        _holders.clear()
    holder = KeyHolder(row[0], row[1], row[2])
    _holders[(db.url, key_hash)] = (time.monotonic(), holder)
    return holder


# Webhook deliveries ------------------------------------------------------------------------

DELIVERIES = cast(Table, WebhookDelivery.__table__)


async def find_delivery(session: AsyncSession, *, code: str, delivery_id: str) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, (code, delivery_id))


async def remember_delivery(
    session: AsyncSession, *, code: str, delivery_id: str, order_number: str | None
) -> None:
    ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {
        "channel_code": code,
        "delivery_id": delivery_id,
        "order_number": order_number,
        "received_at": clock.now(),
    }
    await session.execute(ins(DELIVERIES).values(values).on_conflict_do_nothing())


async def forget_deliveries_before(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Deletes at most `limit` delivery ids received before `before`, oldest first."""
    return await retention.delete_oldest(
        session,
        DELIVERIES,
        key=("channel_code", "delivery_id"),
        stamp="received_at",
        before=before,
        limit=limit,
    )
