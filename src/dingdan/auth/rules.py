"""Roles and what each may do: the permission table every route checks."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Role(StrEnum):
    OWNER = "owner"
    CLERK = "clerk"
    WAREHOUSE = "warehouse"
    SUPPORT = "support"
    ANALYST = "analyst"


class Permission(StrEnum):
    ORDERS_READ = "orders.read"
    ORDERS_PLACE = "orders.place"
    ORDERS_MANAGE = "orders.manage"  # confirm, edit, cancel
    CATALOG_READ = "catalog.read"
    CATALOG_WRITE = "catalog.write"
    INVENTORY_READ = "inventory.read"
    INVENTORY_ADJUST = "inventory.adjust"
    CHANNELS_MANAGE = "channels.manage"
    STAFF_MANAGE = "staff.manage"
    SHIPPING_MANAGE = "shipping.manage"
    SUPPORT_MANAGE = "support.manage"
    REPORTS_READ = "reports.read"
    AUDIT_READ = "audit.read"  # the audit log of staff actions


P = Permission
EVERY_STAFF_ROLE = frozenset(Role)
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    P.ORDERS_READ: EVERY_STAFF_ROLE,
    P.ORDERS_PLACE: frozenset({Role.OWNER, Role.CLERK, Role.SUPPORT}),
    P.ORDERS_MANAGE: frozenset({Role.OWNER, Role.CLERK}),
    P.CATALOG_READ: EVERY_STAFF_ROLE,
    P.CATALOG_WRITE: frozenset({Role.OWNER, Role.CLERK}),
    P.INVENTORY_READ: EVERY_STAFF_ROLE,
    P.INVENTORY_ADJUST: frozenset({Role.OWNER, Role.WAREHOUSE}),
    P.CHANNELS_MANAGE: frozenset({Role.OWNER}),
    P.STAFF_MANAGE: frozenset({Role.OWNER}),
    P.SHIPPING_MANAGE: frozenset({Role.OWNER, Role.CLERK, Role.WAREHOUSE}),
    P.SUPPORT_MANAGE: frozenset({Role.OWNER, Role.SUPPORT}),
    P.REPORTS_READ: frozenset({Role.OWNER, Role.ANALYST}),
    P.AUDIT_READ: frozenset({Role.OWNER}),
}


def role_may(role: str, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]


_hasher = PasswordHasher()
# A real hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    """(token to hand out once, hash to store)."""
    token = "dd_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
