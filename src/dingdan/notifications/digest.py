"""The daily digest: a staff member who chose it gets their held alerts in one e-mail a day,
after the configured local hour."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.notifications import preferences, service
from dingdan.notifications.models import AlertMode, Delivery
from dingdan.notifications.rules import Channel, dedupe_key
from dingdan.notifications.templates import RenderedMessage
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings

DIGEST_TEMPLATE = "merchant.digest"
WORDING = {
    "zh-Hant": ("【{shop}】{day} 每日摘要:{count} 則通知", "以下是 {day} 以來尚未寄出的通知:"),
    "en": ("[{shop}] Daily digest for {day}: {count} alerts", "Alerts since your last digest ({day}):"),
}


def render_digest(*, locale: str, shop_name: str, day: str, lines: Sequence[str]) -> RenderedMessage:
    subject, intro = WORDING.get(locale, WORDING["en"])
    subject = subject.format(shop=shop_name, day=day, count=len(lines))
    intro = intro.format(day=day)
    text = "\n".join([intro, "", *(f"- {line}" for line in lines)]) + "\n"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    page = (
        f'<!DOCTYPE html>\n<html lang="{locale}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n<p>{html.escape(intro)}</p>\n<ul>{items}</ul>\n</body>\n</html>\n"
    )
    return RenderedMessage(subject=subject, short=subject, text=text, html=page)


def local_day(at: datetime) -> tuple[str, int]:
    local = at.astimezone(ZoneInfo(get_settings().time_zone))
    return local.date().isoformat(), local.hour


async def digest_one(session: AsyncSession, *, staff_id: int, day: str) -> int:
    """Fold one staff member's held alerts into today's digest e-mail; 0 if none or sent."""
    choice = (await preferences.get_staff_choices(session, staff_ids=[staff_id]))[staff_id]
    held = await service.list_held(session, staff_id=staff_id)
    if not held or choice.email_mode is not AlertMode.DIGEST:
        return 0
    if not await preferences.digest_sent_on(session, staff_id=staff_id, day=day):
        return 0
    await service.enqueue(session, [_digest_delivery(held, staff_id, day, choice.locale)])
    await service.mark_digested(session, delivery_ids=[row.id for row in held])
    return len(held)


def _digest_delivery(held: Sequence[Delivery], staff_id: int, day: str, locale: str) -> service.Outgoing:
    recipient = held[0].recipient
    message = render_digest(
        locale=locale, shop_name=get_settings().shop_name, day=day, lines=[r.short_text for r in held]
    )
    return service.Outgoing(
        dedupe_key(f"digest:{staff_id}:{day}", Channel.EMAIL, recipient),
        Channel.EMAIL,
        recipient,
        DIGEST_TEMPLATE,
        locale,
        message,
        staff_id=staff_id,
    )


async def send_staff_digests(db: Database) -> int:
    """Scheduled: after the digest hour, each staff member's held alerts go out once a day."""
    day, hour = local_day(clock.now())
    if hour < get_settings().staff_digest_hour:
        return 0
    async with db.read() as session:
        staff_ids = await service.staff_with_held_alerts(session)
    folded = 0
    for staff_id in staff_ids:
        folded += await db.write(digest_one, staff_id=staff_id, day=day)
    return folded
