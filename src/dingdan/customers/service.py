"""Customer accounts, sessions and one-time codes. Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.customers import rules
from dingdan.customers.errors import (
    BadCredentials,
    DuplicateAccount,
    InvalidContact,
    InvalidCustomerToken,
    WeakPassword,
)
from dingdan.customers.models import Account, Session
from dingdan.platform import clock, events
from dingdan.platform.fastread import FastRead, Reader


@dataclass(frozen=True)
class CustomerPrincipal:
    customer_id: int
    label: str
    session_id: int
    token_hash: str


def parse_contact(raw: str, *, field: str = "username") -> tuple[rules.ContactKind, str]:
    found = rules.classify_contact(raw)
    if found is None:
        raise InvalidContact("give an e-mail address or a mobile number", field=field)
    return found


async def register(session: AsyncSession, *, contact: str, password: str, name: str = "") -> Account:
    kind, value = parse_contact(contact, field="username")
    if len(password) < rules.MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            "use at least {min_password_length} characters",
            params={"min_password_length": rules.MIN_PASSWORD_LENGTH},
            field="password",
        )
    if await find_account(session, contact=value) is not None:
        raise DuplicateAccount("this e-mail or mobile number already has an account", field="username")
    account = Account(
        email=value if kind is rules.ContactKind.EMAIL else None,
        mobile=value if kind is rules.ContactKind.MOBILE else None,
        name=name,
        password_hash=rules.hash_secret(password),
        active=True,
        created_at=clock.now(),
    )
    session.add(account)
    await session.flush()
    events.record(session, events.Event("customer.registered", "customer", str(account.id), {"via": kind}))
    return account


async def find_account(session: AsyncSession, *, contact: str) -> Account | None:
    found = rules.classify_contact(contact)
    if found is None:
        return None
    kind, value = found
    column = Account.email if kind is rules.ContactKind.EMAIL else Account.mobile
    return await session.scalar(select(Account).where(column == value))


async def get_account(session: AsyncSession, *, customer_id: int) -> Account:
    account = await session.get(Account, customer_id)
    if account is None or not account.active:
        raise InvalidCustomerToken("this account no longer exists")
    return account


async def authenticate(session: AsyncSession, *, contact: str, password: str) -> Account:
    account = await find_account(session, contact=contact)
    hashed = account.password_hash if account and account.active else None
    if not rules.verify_secret(hashed, password) or account is None:
        raise BadCredentials("wrong e-mail, mobile number or password", field="password")
    return account


async def issue_token(session: AsyncSession, *, account: Account, user_agent: str = "") -> str:
    token, token_hash = rules.new_token()
    at = clock.now()
    session.add(
        Session(
            token_hash=token_hash,
            customer_id=account.id,
            created_at=at,
            expires_at=at + rules.SESSION_LIFETIME,
            user_agent=user_agent[:200],
        )
    )
    await session.flush()
    return token


# Every signed-in customer's request reads it: run on the driver directly (platform/fastread.py).
_SESSION_OF_TOKEN = FastRead(
    select(
        Account.id.label("customer_id"),
        Account.email,
        Account.mobile,
        Session.id.label("session_id"),
        Session.expires_at,
        Session.revoked_at,
    )
    .join(Account, Account.id == Session.customer_id)
    .where(Session.token_hash == bindparam("token_hash"), Account.active.is_(True))
)


async def verify_token(reader: Reader, *, token: str) -> CustomerPrincipal:
    """Looked up on every request, never cached: a signed-out session is refused by every
    process from the moment the sign-out commits."""
    token_hash = rules.hash_token(token)
    rows = await _SESSION_OF_TOKEN.rows(reader, {"token_hash": token_hash})
    row = rows[0] if rows else None
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= clock.now():
        raise InvalidCustomerToken("token missing, expired or revoked")
    contact = row["email"] or row["mobile"] or ""
    return CustomerPrincipal(row["customer_id"], contact, row["session_id"], token_hash)


async def list_sessions(session: AsyncSession, *, customer_id: int) -> list[Session]:
    stmt = (
        select(Session)
        .where(
            Session.customer_id == customer_id, Session.revoked_at.is_(None), Session.expires_at > clock.now()
        )
        .order_by(Session.id.desc())
        .limit(100)
    )
    return list((await session.execute(stmt)).scalars())


async def revoke_session(session: AsyncSession, *, customer_id: int, session_id: int) -> bool:
    """Ends one of the customer's own sessions; False when there is no such session of theirs."""
    hashes = (
        await session.execute(
            update(Session)
            .where(Session.id == session_id, Session.customer_id == customer_id, Session.revoked_at.is_(None))
            .values(revoked_at=clock.now())
            .returning(Session.token_hash)
        )
    ).scalars()
    return bool(list(hashes))


async def revoke_all_sessions(session: AsyncSession, *, customer_id: int) -> None:
    await session.execute(
        update(Session)
        .where(Session.customer_id == customer_id, Session.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


async def revoke_token(session: AsyncSession, *, token_hash: str) -> None:
    await session.execute(
        update(Session).where(Session.token_hash == token_hash).values(revoked_at=clock.now())
    )
