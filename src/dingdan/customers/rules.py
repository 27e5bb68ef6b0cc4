"""Pure customer rules: what counts as an e-mail or a mobile number, tokens and one-time codes."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TW_MOBILE = re.compile(r"^09\d{8}$")
INTERNATIONAL_MOBILE = re.compile(r"^\+\d{8,15}$")
TOKEN_PREFIX = "ddc_"
MIN_PASSWORD_LENGTH = 8
CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
SESSION_LIFETIME = timedelta(days=30)


class ContactKind(StrEnum):
    EMAIL = "email"
    MOBILE = "mobile"


class CodePurpose(StrEnum):
    RESET = "reset"
    VERIFY_EMAIL = "verify_email"
    VERIFY_MOBILE = "verify_mobile"


def normalize_mobile(raw: str) -> str:
    """Digits (and a leading +), with Taiwan's +886 folded back to a leading 0."""
    text = re.sub(r"[\s\-().]", "", raw)
    if text.startswith("+886"):
        text = "0" + text[4:].lstrip("0")
    return text


def classify_contact(raw: str) -> tuple[ContactKind, str] | None:
    """("email", lower-cased) or ("mobile", normalised), or None when it is neither."""
    text = raw.strip()
    if "@" in text:
        return (ContactKind.EMAIL, text.lower()) if EMAIL.match(text) else None
    mobile = normalize_mobile(text)
    if TW_MOBILE.match(mobile) or INTERNATIONAL_MOBILE.match(mobile):
        return ContactKind.MOBILE, mobile
    return None


def new_token() -> tuple[str, str]:
    """(token to hand out once, hash to store)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_customer_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def masked(contact: str) -> str:
    """Enough of an address to recognise it, not enough to learn it: m***@example.com, 09****5678."""
    if "@" in contact:
        name, _, domain = contact.partition("@")
        return f"{name[:1]}***@{domain}"
    return contact[:2] + "*" * max(len(contact) - 6, 0) + contact[-4:]


_hasher = PasswordHasher()
# Verified against when the account does not exist, so the answer's timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_secret(secret: str) -> str:
    """argon2id hash of a password or a one-time code."""
    return _hasher.hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash or _DUMMY_HASH, secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False
