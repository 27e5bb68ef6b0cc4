"""Channel entry points. Intake reads channels through a short-lived cache: a setting changed
in the console takes effect within CACHE_SECONDS on every process."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.channels.errors import ChannelInactive, ChannelNotFound, DuplicateChannel
from dingdan.channels.models import Channel
from dingdan.platform import clock

CACHE_SECONDS = 5.0
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
        raise ChannelInactive(f"channel {code!r} does not take orders", field="channel")
    return settings


async def get_channel(session: AsyncSession, *, code: str) -> Channel:
    found = await session.scalar(select(Channel).where(Channel.code == code))
    if found is None:
        raise ChannelNotFound(f"no channel {code!r}", field="channel")
    return found


async def list_channels(session: AsyncSession) -> Sequence[Channel]:
    return (await session.execute(select(Channel).order_by(Channel.id))).scalars().all()


async def create_channel(session: AsyncSession, **fields: Any) -> Channel:
    if await session.scalar(select(Channel.id).where(Channel.code == fields["code"])):
        raise DuplicateChannel(f"channel {fields['code']!r} exists", field="code")
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
