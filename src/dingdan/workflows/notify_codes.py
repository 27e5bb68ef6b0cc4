"""One-time codes (password reset, proving an e-mail or mobile number) sent by the channel they
were asked for: the address in the event, never a stored preference, since the point is to
reach exactly that address. Sent through the outbox like every message, once per event. The
delivery log keeps the message with the code masked; the sender puts the code back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.notifications import preferences, service
from dingdan.notifications.message_templates import MessageKind
from dingdan.notifications.outlets import get_outlets
from dingdan.notifications.rules import Channel, dedupe_key, masked_code, to_e164
from dingdan.notifications.templates import render
from dingdan.platform.events import Event
from dingdan.platform.settings import get_settings

MESSAGE_OF_TOPIC = {
    "customer.reset_requested": MessageKind.RESET_CODE,
    "customer.verification_requested": MessageKind.VERIFICATION_CODE,
}
CODE_TOPICS = tuple(MESSAGE_OF_TOPIC)


def recipient_of(event: Event) -> tuple[Channel, str] | None:
    to = str(event.payload.get("to") or "")
    if event.payload.get("channel") == "sms":
        phone = to_e164(to)
        return (Channel.SMS, phone) if phone else None
    if to and get_outlets().email_enabled:
        return Channel.EMAIL, to
    return None


async def send_code(session: AsyncSession, event: Event) -> None:
    kind, recipient = MESSAGE_OF_TOPIC.get(event.topic), recipient_of(event)
    if kind is None or recipient is None:
        return
    choice = await preferences.get_customer_choice(session, customer_id=int(event.aggregate_id), phone=None)
    context = {
        "shop_name": get_settings().shop_name,
        "code": masked_code(str(event.payload["code"])),
        "expires_minutes": int(event.payload.get("expires_minutes") or 15),
    }
    channel, address = recipient
    message = render(kind, choice.locale, context)
    await service.enqueue(
        session,
        [
            service.Outgoing(
                dedupe_key(f"event:{event.id}", channel, address), channel, address, kind.value,
                choice.locale, message, event_id=event.id,
            )
        ],
    )  # fmt: skip
