"""One-time codes: password reset and proving an e-mail address or mobile number is yours.

A code is six digits, kept only as an argon2 hash, valid for 15 minutes, used once, and
refused after five wrong tries. The plain code leaves the system only in the event that asks
for it to be delivered (`customer.reset_requested`, `customer.verification_requested`); the
notifications subscribers send it by e-mail or SMS.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.customers import rules
from dingdan.customers.errors import InvalidCode, WeakPassword
from dingdan.customers.models import Account, OneTimeCode
from dingdan.customers.rules import CodePurpose, ContactKind
from dingdan.customers.service import find_account, revoke_all_sessions
from dingdan.platform import clock, events


async def _issue_code(session: AsyncSession, *, account: Account, purpose: CodePurpose) -> str:
    code = rules.new_code()
    at = clock.now()
    await session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.customer_id == account.id, OneTimeCode.purpose == purpose.value)
        .where(OneTimeCode.used_at.is_(None))
        .values(used_at=at)
    )
    session.add(
        OneTimeCode(
            customer_id=account.id,
            purpose=purpose.value,
            code_hash=rules.hash_secret(code),
            attempts=0,
            created_at=at,
            expires_at=at + rules.CODE_LIFETIME,
        )
    )
    await session.flush()
    return code


def _delivery(kind: ContactKind, address: str, code: str, expires_minutes: int) -> dict[str, object]:
    return {
        "channel": "email" if kind is ContactKind.EMAIL else "sms",
        "to": address,
        "code": code,
        "expires_minutes": expires_minutes,
    }


async def request_password_reset(session: AsyncSession, *, contact: str) -> bool:
    """Sends a reset code to the e-mail or mobile given; says nothing when there is no account."""
    account = await find_account(session, contact=contact)
    found = rules.classify_contact(contact)
    if account is None or not account.active or found is None:
        return False
    code = await _issue_code(session, account=account, purpose=CodePurpose.RESET)
    minutes = int(rules.CODE_LIFETIME.total_seconds() // 60)
    events.record(
        session,
        events.Event(
            "customer.reset_requested", "customer", str(account.id), _delivery(*found, code, minutes)
        ),
    )
    return True


async def reset_password(
    session: AsyncSession, *, contact: str, code: str, new_password: str
) -> Account | None:
    """The account with its new password, or None when the code was wrong (the failed try is
    counted, so the caller commits and then refuses with `InvalidCode`)."""
    if len(new_password) < rules.MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            "use at least {min_password_length} characters",
            params={"min_password_length": rules.MIN_PASSWORD_LENGTH},
            field="new_password",
        )
    account = await find_account(session, contact=contact)
    if account is None or not await _consume_code(
        session, account=account, purpose=CodePurpose.RESET, code=code
    ):
        return None
    account.password_hash = rules.hash_secret(new_password)
    await revoke_all_sessions(session, customer_id=account.id)
    events.record(session, events.Event("customer.password_reset", "customer", str(account.id)))
    await session.flush()
    return account


async def request_verification(session: AsyncSession, *, account: Account, kind: ContactKind) -> str:
    """Sends a code to the account's own e-mail or mobile; returns it masked."""
    address = account.email if kind is ContactKind.EMAIL else account.mobile
    if not address:
        raise InvalidCode(
            "this account has no {kind} to verify", params={"kind": kind.value}, field="channel"
        )
    purpose = CodePurpose.VERIFY_EMAIL if kind is ContactKind.EMAIL else CodePurpose.VERIFY_MOBILE
    code = await _issue_code(session, account=account, purpose=purpose)
    minutes = int(rules.CODE_LIFETIME.total_seconds() // 60)
    events.record(
        session,
        events.Event(
            "customer.verification_requested",
            "customer",
            str(account.id),
            _delivery(kind, address, code, minutes),
        ),
    )
    return rules.masked(address)


async def confirm_verification(
    session: AsyncSession, *, account: Account, kind: ContactKind, code: str
) -> bool:
    """True when verified; False for a wrong code (counted: commit, then refuse)."""
    purpose = CodePurpose.VERIFY_EMAIL if kind is ContactKind.EMAIL else CodePurpose.VERIFY_MOBILE
    if not await _consume_code(session, account=account, purpose=purpose, code=code):
        return False
    if kind is ContactKind.EMAIL:
        account.email_verified_at = clock.now()
    else:
        account.mobile_verified_at = clock.now()
    events.record(
        session, events.Event("customer.contact_verified", "customer", str(account.id), {"kind": kind})
    )
    await session.flush()
    return True


async def _consume_code(session: AsyncSession, *, account: Account, purpose: CodePurpose, code: str) -> bool:
    """Uses the account's live code of that purpose; every wrong try counts."""
    row = await session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.customer_id == account.id, OneTimeCode.purpose == purpose.value)
        .where(OneTimeCode.used_at.is_(None), OneTimeCode.expires_at > clock.now())
        .order_by(OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    hashed = row.code_hash if row is not None and row.attempts < rules.MAX_CODE_ATTEMPTS else None
    if not rules.verify_secret(hashed, code.strip()) or row is None:
        if row is not None:
            row.attempts += 1
            await session.flush()
        return False
    row.used_at = clock.now()
    await session.flush()
    return True
