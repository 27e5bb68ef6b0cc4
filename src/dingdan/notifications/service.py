"""The delivery log: enqueue messages once per dedupe key, claim due ones, record outcomes.

A password-reset or verification code is never written to the log: the logged message shows it
masked, and a claim puts the code back from the event that asked for it, so only the copy
handed to the provider carries it.

A sender claims rows in one short transaction (status `sending`, a fresh claim token and a
lease), delivers outside any transaction, then records the outcome only if it still holds the
claim. A sender killed between claim and outcome leaves the row `sending`; once the lease runs
out the row is due again, and the retry carries the same dedupe key to the provider.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.notifications import rules
from dingdan.notifications.message_templates import MessageKind
from dingdan.notifications.models import Delivery, DeliveryStatus
from dingdan.notifications.templates import RenderedMessage
from dingdan.platform import clock
from dingdan.platform.db import Database, padded
from dingdan.platform.events import EventRow
from dingdan.platform.fastread import FastWrite
from dingdan.platform.pagination import DEFAULT_PAGE_SIZE

DELIVERIES = cast(Table, Delivery.__table__)
S = DeliveryStatus
CODE_TEMPLATES = frozenset({MessageKind.RESET_CODE.value, MessageKind.VERIFICATION_CODE.value})


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient on one channel, named by its dedupe key."""

    dedupe_key: str
    channel: rules.Channel
    recipient: str
    template: str
    locale: str
    message: RenderedMessage
    order_number: str | None = None
    staff_id: int | None = None
    event_id: int | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    claim_token: str
    dedupe_key: str
    channel: str
    recipient: str
    subject: str
    short_text: str
    body_text: str
    body_html: str
    attempts: int


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# Built once and run with a list of rows: a VALUES list built per call was compiled per call.
_ENQUEUE = {
    name: ins(DELIVERIES).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(DELIVERIES.c.id)
    for name, ins in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def enqueue(session: AsyncSession, outgoing: Sequence[Outgoing]) -> int:
    """Add the messages not yet in the log; a dedupe key already there adds nothing."""
    if not outgoing:
        return 0
    at = clock.now()
    statement = _ENQUEUE[session.get_bind().dialect.name]
    added = await session.execute(statement, [_row(item, at) for item in outgoing])
    return len(added.all())


ORDER_MESSAGES_LOCK = 7008  # pg_advisory_xact_lock(namespace, order id): one order's messages at a time
_LOCK_ORDER_MESSAGES = text("SELECT pg_advisory_xact_lock(:ns, :key)")


@dataclass(frozen=True)
class SentAbout:
    """A message already in the log for an order: its kind, the sequence number of the order
    event that made it and the parcel it was about (None: the order as a whole)."""

    template: str
    seq: int | None
    tracking_number: str | None


async def list_sent_about_order(
    session: AsyncSession, *, order_number: str, order_id: int, templates: Sequence[str]
) -> list[SentAbout]:
    """The messages of these kinds already logged for the order, with what they were about.
    On PostgreSQL it first takes the order's message lock (held until commit), so two
    handlers of one order's events decide one after the other."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_LOCK_ORDER_MESSAGES, {"ns": ORDER_MESSAGES_LOCK, "key": order_id % 2**31})
    stmt = (
        select(
            DELIVERIES.c.template,
            EventRow.payload["seq"].as_integer(),
            EventRow.payload["tracking_number"].as_string(),
        )
        .join(EventRow, EventRow.id == DELIVERIES.c.event_id)
        .where(DELIVERIES.c.order_number == order_number, DELIVERIES.c.template.in_(list(templates)))
    )
    return [SentAbout(t, s, n) for t, s, n in await session.execute(stmt)]


def _row(item: Outgoing, at: datetime) -> dict[str, Any]:
    return {
        "dedupe_key": item.dedupe_key,
        "channel": item.channel.value,
        "recipient": item.recipient,
        "template": item.template,
        "locale": item.locale,
        "subject": item.message.subject[:300],
        "short_text": item.message.short,
        "body_text": item.message.text,
        "body_html": item.message.html,
        "order_number": item.order_number,
        "staff_id": item.staff_id,
        "event_id": item.event_id,
        "status": item.status.value,
        "attempts": 0,
        "next_attempt_at": at,
        "last_error": "",
        "provider": "console" if item.channel is rules.Channel.CONSOLE else "",
        "created_at": at,
        "sent_at": at if item.status is S.SENT else None,
    }


def _due(now: datetime) -> Any:
    return or_(
        and_(Delivery.status == S.PENDING.value, Delivery.next_attempt_at <= now),
        and_(Delivery.status == S.SENDING.value, Delivery.claimed_until < now),
    )


async def claim_due(session: AsyncSession, *, lease: timedelta, limit: int = 50) -> list[ClaimedDelivery]:
    """Claim up to `limit` due deliveries (also those whose sender died holding them)."""
    now = clock.now()
    stmt = (
        select(Delivery)
        .where(_due(now), Delivery.channel != rules.Channel.CONSOLE.value)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    found = list((await session.execute(stmt)).scalars())
    if not found:
        return []
    codes = await _codes_of(session, [row.event_id for row in found if row.template in CODE_TEMPLATES])
    token = secrets.token_hex(16)  # one per claim: it tells this sender's claims from another's
    await session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(padded([row.id for row in found])))
        .values(
            status=S.SENDING.value,
            claim_token=token,
            claimed_until=now + lease,
            attempts=DELIVERIES.c.attempts + 1,
        )
    )
    return [_claimed(row, token, codes.get(row.event_id or 0)) for row in found]


async def _codes_of(session: AsyncSession, event_ids: list[int | None]) -> dict[int, str]:
    """The one-time code carried by each of these events."""
    wanted = [event_id for event_id in event_ids if event_id is not None]
    if not wanted:
        return {}
    rows = await session.execute(select(EventRow.id, EventRow.payload).where(EventRow.id.in_(wanted)))
    return {event_id: str(payload["code"]) for event_id, payload in rows if payload.get("code")}


def _claimed(row: Delivery, token: str, code: str | None) -> ClaimedDelivery:
    def text(logged: str) -> str:
        return rules.reveal_code(logged, code) if code else logged

    return ClaimedDelivery(
        id=row.id,
        claim_token=token,
        dedupe_key=row.dedupe_key,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject,
        short_text=text(row.short_text),
        body_text=text(row.body_text),
        body_html=text(row.body_html),
        attempts=row.attempts + 1,
    )


def _held(claim: ClaimedDelivery) -> Any:
    return and_(
        DELIVERIES.c.id == claim.id,
        DELIVERIES.c.claim_token == claim.claim_token,
        DELIVERIES.c.status == S.SENDING.value,
    )


async def mark_sent(
    db: Database, *, claim: ClaimedDelivery, provider: str, provider_message_id: str | None
) -> bool:
    """Record a delivery, in a statement of its own right after the send (a sender that dies
    later does not send it again); False when the claim was lost meanwhile (another sender
    took over)."""
    params = {
        "claim_id": claim.id,
        "claim_token_held": claim.claim_token,
        "sent_when": clock.now(),
        "sent_by": provider,
        "sent_as": provider_message_id,
    }
    return bool(await db.write_alone(_MARK_SENT, params))


# Built once: one runs per message sent, and building it was a visible share of the sender.
_MARK_SENT = FastWrite(
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id == bindparam("claim_id"),
        DELIVERIES.c.claim_token == bindparam("claim_token_held"),
        DELIVERIES.c.status == S.SENDING.value,
    )
    .values(
        status=S.SENT.value,
        sent_at=bindparam("sent_when"),
        provider=bindparam("sent_by"),
        provider_message_id=bindparam("sent_as"),
        claim_token=None,
        claimed_until=None,
        last_error="",
    )
)


async def mark_failed(
    session: AsyncSession,
    *,
    claim: ClaimedDelivery,
    error: str,
    permanent: bool,
    provider: str = "",
    jitter_draw: float = 0.0,
) -> datetime | None:
    """Schedule the next attempt by the back-off rules (None: given up)."""
    now = clock.now()
    retry_at = rules.next_attempt_at(now, claim.attempts, permanent=permanent, jitter_draw=jitter_draw)
    await session.execute(
        update(DELIVERIES)
        .where(_held(claim))
        .values(
            status=(S.PENDING if retry_at else S.FAILED).value,
            next_attempt_at=retry_at or now,
            last_error=error[:500],
            provider=provider,
            claim_token=None,
            claimed_until=None,
        )
    )
    return retry_at


async def list_deliveries(
    session: AsyncSession,
    *,
    channel: str | None = None,
    status: str | None = None,
    order_number: str | None = None,
    recipient: str | None = None,
    provider: str | None = None,
    staff_id: int | None = None,
    after_id: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> list[Delivery]:
    """The delivery log, newest first."""
    filters = [
        Delivery.channel == channel if channel else None,
        Delivery.status == status if status else None,
        Delivery.order_number == order_number if order_number else None,
        Delivery.recipient == recipient if recipient else None,
        Delivery.provider == provider if provider else None,
        Delivery.staff_id == staff_id if staff_id is not None else None,
        Delivery.id < after_id if after_id else None,
    ]
    stmt = (
        select(Delivery)
        .where(*[f for f in filters if f is not None])
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def list_held(session: AsyncSession, *, staff_id: int) -> list[Delivery]:
    stmt = (
        select(Delivery)
        .where(Delivery.staff_id == staff_id, Delivery.status == S.HELD.value)
        .order_by(Delivery.id)
    )
    return list((await session.execute(stmt)).scalars())


async def staff_with_held_alerts(session: AsyncSession) -> list[int]:
    stmt = select(Delivery.staff_id).where(Delivery.status == S.HELD.value).distinct()
    return sorted(sid for sid in (await session.execute(stmt)).scalars() if sid is not None)


async def mark_digested(session: AsyncSession, *, delivery_ids: Sequence[int]) -> None:
    if delivery_ids:
        await session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(delivery_ids), DELIVERIES.c.status == S.HELD.value)
            .values(status=S.DIGESTED.value)
        )
