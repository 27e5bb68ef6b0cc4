"""Customer accounts, their sessions (bearer tokens stored as SHA-256 hashes) and one-time codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dingdan.platform.db import Base
from dingdan.platform.types import BigId, UtcDateTime


class Account(Base):
    __tablename__ = "customers_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    mobile_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Session(Base):
    """One login: revoking it ends that device's access."""

    __tablename__ = "customers_session"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_account.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index("ix_customers_session_customer", "customer_id", "id"),)


class OneTimeCode(Base):
    """A password-reset or contact-verification code, kept only as a hash."""

    __tablename__ = "customers_code"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_account.id"))
    purpose: Mapped[str] = mapped_column(String(16))  # reset | verify_email | verify_mobile
    code_hash: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_customers_code_customer", "customer_id", "purpose", "id"),)
