"""Notifications API: the delivery log, the sandbox SMS inbox, and each staff member's alerts
and alert preference."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from dingdan.notifications import preferences
from dingdan.notifications import service as notifications
from dingdan.notifications.models import AlertMode, Delivery, DeliveryStatus
from dingdan.notifications.rules import Channel
from dingdan.platform.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, AnyStaff, SupportManage

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


class DeliveryOut(BaseModel):
    id: int
    channel: Channel
    recipient: str
    template: str
    locale: str
    subject: str
    text: str
    order_number: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    provider: str
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class AlertPreferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"email_mode": "digest"}]})

    email_mode: AlertMode
    locale: str = "zh-Hant"


def delivery_view(row: Delivery) -> dict[str, object]:
    waiting = row.status in {DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value}
    return {
        "id": row.id,
        "channel": row.channel,
        "recipient": row.recipient,
        "template": row.template,
        "locale": row.locale,
        "subject": row.subject,
        "text": row.short_text,
        "order_number": row.order_number,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat() if waiting else None,
        "last_error": row.last_error,
        "provider": row.provider,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def page(rows: list[Delivery], limit: int) -> Response:
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == limit else None
    return json_response({"items": [delivery_view(r) for r in rows], "next_cursor": next_cursor})


@router.get(
    "/deliveries",
    response_model=DeliveryPage,
    responses=problems(401, 403, 422),
    summary="The delivery log: every e-mail and SMS with its status, attempts and last error",
)
async def list_deliveries(
    db: DB,
    _: SupportManage,
    channel: Channel | None = None,
    status: DeliveryStatus | None = None,
    order: Annotated[str | None, Query(max_length=20)] = None,
    recipient: Annotated[str | None, Query(max_length=254)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Response:
    async with db.read() as session:
        rows = await notifications.list_deliveries(
            session, channel=channel.value if channel else None, status=status.value if status else None,
            order_number=order, recipient=recipient, after_id=decode_cursor(cursor), limit=limit,
        )  # fmt: skip
    return page(rows, limit)


@router.get(
    "/sandbox/sms",
    response_model=DeliveryPage,
    responses=problems(401, 403, 422),
    summary="The sandbox SMS inbox: what would have reached each phone",
)
async def sandbox_sms(
    db: DB,
    _: SupportManage,
    to: Annotated[str | None, Query(max_length=20, description="E.164, e.g. +886912345678")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Response:
    async with db.read() as session:
        rows = await notifications.list_deliveries(
            session, channel=Channel.SMS.value, provider="sandbox", status=DeliveryStatus.SENT.value,
            recipient=to, after_id=decode_cursor(cursor), limit=limit,
        )  # fmt: skip
    return page(rows, limit)


@router.get(
    "/alerts",
    response_model=DeliveryPage,
    responses=problems(401, 422),
    summary="My merchant alerts in the console (new orders, reviews, low stock, exceptions, returns, "
    "payments to refund)",
)
async def my_alerts(db: DB, who: AnyStaff, cursor: Cursor = None, limit: Limit = 50) -> Response:
    async with db.read() as session:
        rows = await notifications.list_deliveries(
            session,
            channel=Channel.CONSOLE.value,
            staff_id=who.id,
            after_id=decode_cursor(cursor),
            limit=limit,
        )
    return page(rows, limit)


@router.put(
    "/alerts/preference",
    responses=problems(401, 422),
    summary="Alerts by e-mail at once, in a daily digest, or not at all",
)
async def put_alert_preference(data: AlertPreferenceIn, db: DB, who: AnyStaff) -> Response:
    choice = await db.write(
        preferences.set_staff_choice, staff_id=who.id, email_mode=data.email_mode, locale=data.locale
    )
    return json_response({"email_mode": choice.email_mode.value, "locale": choice.locale})
