"""The sender job: claim due deliveries, hand each to its channel, record the outcome.

Safe to kill at any point: a claim not followed by an outcome expires after the lease and the
delivery is claimed again. Every send carries the dedupe key (SMS `reference` and
Idempotency-Key, e-mail Message-ID), so a provider that saw the first try can drop the second.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from dingdan.notifications import service
from dingdan.notifications.adapters.email import OutgoingEmail
from dingdan.notifications.adapters.sms import SmsMessage
from dingdan.notifications.errors import DeliveryFailed, InvalidRecipient
from dingdan.notifications.outlets import Outlets, get_outlets
from dingdan.notifications.rules import Channel
from dingdan.platform import clock
from dingdan.platform.db import Database
from dingdan.platform.settings import get_settings

log = logging.getLogger(__name__)


async def claim_batch(db: Database, *, limit: int = 50) -> list[service.ClaimedDelivery]:
    lease = timedelta(seconds=get_settings().notification_lease_seconds)
    return await db.write(service.claim_due, lease=lease, limit=limit)


async def deliver(claim: service.ClaimedDelivery, outlets: Outlets) -> tuple[str, str | None]:
    """Send one claimed delivery; (provider, provider's message id). Raises DeliveryFailed."""
    if claim.channel == Channel.SMS.value:
        try:
            message = SmsMessage(claim.recipient, claim.short_text, outlets.sms_sender, claim.dedupe_key)
        except InvalidRecipient as exc:
            raise DeliveryFailed(exc.detail, permanent=True) from exc
        receipt = await outlets.sms.send(message)
        return outlets.sms_provider, receipt.gateway_message_id
    if claim.channel == Channel.EMAIL.value:
        if outlets.email is None:
            raise DeliveryFailed("e-mail is not configured (DINGDAN_SMTP_HOST)", permanent=False)
        email = OutgoingEmail(
            claim.recipient, claim.subject, claim.body_text, claim.body_html, reference=claim.dedupe_key
        )
        try:
            return outlets.email_provider, await outlets.email.send(email, sent_at=clock.now())
        except InvalidRecipient as exc:
            raise DeliveryFailed(exc.detail, permanent=True) from exc
    raise DeliveryFailed("no outlet for channel {channel}", params={"channel": claim.channel}, permanent=True)


async def send_one(db: Database, claim: service.ClaimedDelivery, outlets: Outlets) -> bool:
    try:
        provider, message_id = await deliver(claim, outlets)
    except DeliveryFailed as exc:
        await db.write(
            service.mark_failed,
            claim=claim,
            error=exc.detail,
            permanent=exc.permanent,
            jitter_draw=random.random(),
        )
        return False
    return await service.mark_sent(db, claim=claim, provider=provider, provider_message_id=message_id)


async def send_due_notifications(db: Database) -> int:
    """One round: deliver every due message; returns how many were sent."""
    outlets = get_outlets()
    sent = 0
    while claims := await claim_batch(db):
        for claim in claims:
            try:
                sent += await send_one(db, claim, outlets)
            except Exception:  # an unexpected failure waits for the lease, like a crash
                log.exception("delivery %s failed unexpectedly", claim.id)
    return sent
