"""Staff accounts and tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dingdan.auth import rules
from dingdan.auth.errors import BadCredentials, DuplicateStaff, InvalidToken, WeakPassword
from dingdan.auth.models import Staff, StaffToken
from dingdan.platform import clock

TOKEN_LIFETIME = timedelta(days=30)
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class StaffPrincipal:
    staff_id: int
    email: str
    role: str
    token_hash: str


async def create_staff(
    session: AsyncSession, *, email: str, password: str, role: rules.Role, name: str = ""
) -> Staff:
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            "use at least {min_password_length} characters",
            params={"min_password_length": MIN_PASSWORD_LENGTH},
            field="password",
        )
    if await session.scalar(select(Staff.id).where(Staff.email == email)):
        raise DuplicateStaff("{email} already has an account", params={"email": email}, field="email")
    staff = Staff(
        email=email,
        name=name,
        password_hash=rules.hash_password(password),
        role=role.value,
        active=True,
        created_at=clock.now(),
    )
    session.add(staff)
    await session.flush()
    return staff


async def authenticate(session: AsyncSession, *, email: str, password: str) -> Staff:
    staff = await session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    hashed = staff.password_hash if staff and staff.active else None
    if not rules.verify_password(hashed, password) or staff is None:
        raise BadCredentials("wrong e-mail or password", field="password")
    return staff


async def issue_token(session: AsyncSession, *, staff: Staff, kind: str = "api", user_agent: str = "") -> str:
    token, token_hash = rules.new_token()
    at = clock.now()
    session.add(
        StaffToken(
            token_hash=token_hash,
            staff_id=staff.id,
            kind=kind,
            created_at=at,
            expires_at=at + TOKEN_LIFETIME,
            user_agent=user_agent[:200],
        )
    )
    await session.flush()
    return token


_STAFF_OF_TOKEN = (
    select(Staff.id, Staff.email, Staff.role, StaffToken.expires_at, StaffToken.revoked_at)
    .join(Staff, Staff.id == StaffToken.staff_id)
    .where(StaffToken.token_hash == bindparam("token_hash"), Staff.active.is_(True))
)


async def verify_token(session: AsyncSession, *, token: str) -> StaffPrincipal:
    """Looked up on every request, never cached: a revoked token is refused by every process
    from the moment the revocation commits."""
    token_hash = rules.hash_token(token)
    row = (await session.execute(_STAFF_OF_TOKEN, {"token_hash": token_hash})).first()
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now():
        raise InvalidToken("token missing, expired or revoked")
    return StaffPrincipal(row.id, row.email, row.role, token_hash)


async def revoke_token(session: AsyncSession, *, token_hash: str) -> None:
    await session.execute(
        update(StaffToken).where(StaffToken.token_hash == token_hash).values(revoked_at=clock.now())
    )
