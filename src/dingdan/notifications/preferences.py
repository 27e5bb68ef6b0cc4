"""Who hears what and how: customer channel choices and staff alert modes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.notifications.models import AlertMode, CustomerPreference, StaffPreference
from dingdan.notifications.rules import locale_code
from dingdan.platform import clock
from dingdan.platform.db import padded
from dingdan.platform.errors import InvalidInput
from dingdan.platform.settings import get_settings

LOCALES = ("zh-Hant", "en")


@dataclass(frozen=True)
class CustomerChoice:
    email: bool
    sms: bool
    locale: str


@dataclass(frozen=True)
class StaffChoice:
    staff_id: int
    email_mode: AlertMode
    locale: str


def default_locale() -> str:
    return locale_code(get_settings().default_locale)


def customer_keys(*, customer_id: int | None, phone: str | None) -> list[str]:
    """The preference keys of a customer, the account first, then the phone of guest orders."""
    keys = [f"customer:{customer_id}"] if customer_id is not None else []
    return keys + ([f"phone:{phone}"] if phone else [])


async def get_customer_choice(
    session: AsyncSession, *, customer_id: int | None, phone: str | None
) -> CustomerChoice:
    for key in customer_keys(customer_id=customer_id, phone=phone):
        row = await session.get(CustomerPreference, key)
        if row is not None:
            return CustomerChoice(row.email_enabled, row.sms_enabled, row.locale)
    return CustomerChoice(email=True, sms=True, locale=default_locale())


async def get_customer_choices(
    session: AsyncSession, customers: Sequence[tuple[int | None, str | None]]
) -> list[CustomerChoice]:
    """`get_customer_choice` for each (customer id, phone), in order: one statement."""
    keys = [customer_keys(customer_id=cid, phone=phone) for cid, phone in customers]
    wanted = sorted({key for some in keys for key in some})
    stored: dict[str, CustomerChoice] = {}
    if wanted:
        stmt = select(CustomerPreference).where(CustomerPreference.customer_key.in_(padded(wanted)))
        for row in (await session.execute(stmt)).scalars():
            stored[row.customer_key] = CustomerChoice(row.email_enabled, row.sms_enabled, row.locale)
    fallback = CustomerChoice(email=True, sms=True, locale=default_locale())
    return [next((stored[key] for key in some if key in stored), fallback) for some in keys]


def _check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise InvalidInput(
            "locale must be one of {locales}", params={"locales": ", ".join(LOCALES)}, field="locale"
        )
    return locale


async def set_customer_choice(
    session: AsyncSession,
    *,
    customer_id: int | None,
    phone: str | None,
    email: bool,
    sms: bool,
    locale: str,
) -> CustomerChoice:
    """Store a customer's choice under their account (or, for a guest, their phone)."""
    keys = customer_keys(customer_id=customer_id, phone=phone)
    if not keys:
        raise InvalidInput("a customer id or a phone number is needed", field="customer_id")
    row = await session.get(CustomerPreference, keys[0])
    if row is None:
        row = CustomerPreference(customer_key=keys[0])
        session.add(row)
    row.email_enabled, row.sms_enabled, row.locale = email, sms, _check_locale(locale)
    row.updated_at = clock.now()
    await session.flush()
    return CustomerChoice(email, sms, locale)


async def get_staff_choices(session: AsyncSession, *, staff_ids: Sequence[int]) -> dict[int, StaffChoice]:
    """Every listed staff member's choice (immediate e-mail in the default language if unset)."""
    stmt = select(StaffPreference).where(StaffPreference.staff_id.in_(list(staff_ids)))
    found = {row.staff_id: row for row in (await session.execute(stmt)).scalars()}
    return {
        sid: StaffChoice(sid, AlertMode(found[sid].email_mode), found[sid].locale)
        if sid in found
        else StaffChoice(sid, AlertMode.IMMEDIATE, default_locale())
        for sid in staff_ids
    }


async def set_staff_choice(
    session: AsyncSession, *, staff_id: int, email_mode: AlertMode, locale: str
) -> StaffChoice:
    row = await session.get(StaffPreference, staff_id)
    if row is None:
        row = StaffPreference(staff_id=staff_id)
        session.add(row)
    row.email_mode, row.locale = email_mode.value, _check_locale(locale)
    row.updated_at = clock.now()
    await session.flush()
    return StaffChoice(staff_id, email_mode, locale)


async def digest_sent_on(session: AsyncSession, *, staff_id: int, day: str) -> bool:
    """Marks today's digest as sent; False when it already was (so it goes once a day)."""
    row = await session.get(StaffPreference, staff_id, with_for_update=True)
    if row is None:
        return False
    if row.last_digest_on == day:
        return False
    row.last_digest_on = day
    await session.flush()
    return True
