"""Request dependencies: the database, who is calling, and what they may do."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from dingdan.auth import rules as auth_rules
from dingdan.auth import service as auth
from dingdan.channels import rules as channel_rules
from dingdan.channels import service as channels
from dingdan.customers import rules as customer_rules
from dingdan.customers import service as customers
from dingdan.platform import audit
from dingdan.platform.db import Database
from dingdan.platform.errors import Forbidden, Unauthorized

bearer = HTTPBearer(
    auto_error=False,
    description=(
        "A staff token from POST /api/v1/auth/token, a customer token from POST /api/v1/me/token,"
        " or a channel API key (ddk_…)"
    ),
)
# What a channel API key may do: place orders on its own channel, nothing staff-only.
CHANNEL_KEY_PERMISSIONS = frozenset({auth_rules.Permission.ORDERS_PLACE})


@dataclass(frozen=True)
class Principal:
    """Who is calling: `kind` is staff, channel or customer."""

    kind: str
    id: int
    role: str
    label: str
    token_hash: str = ""
    channel_code: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.label}"

    @property
    def scope(self) -> str:
        """Idempotency-Keys are unique per scope: per staff member, or per channel."""
        if self.kind == "channel":
            return f"channel:{self.channel_code}"
        return f"{self.kind}:{self.id}"


async def get_db(request: Request) -> Database:
    # async on purpose: FastAPI runs plain `def` dependencies in a thread pool, per request.
    return db_of(request)


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DB = Annotated[Database, Depends(get_db)]


async def get_reports_db(request: Request) -> Database:
    """The database reports read from: the replica when DINGDAN_REPORTS_DATABASE_URL is set."""
    db: Database = request.app.state.reports_db
    return db


ReportsDB = Annotated[Database, Depends(get_reports_db)]


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    token = credentials.credentials if credentials else None
    if token is None:
        raise Unauthorized("send a bearer token in the Authorization header")
    db = db_of(request)
    if token.startswith(channel_rules.API_KEY_PREFIX):
        return await _channel_principal(db, token)
    if customer_rules.is_customer_token(token):
        async with db.connection() as connection:
            customer = await customers.verify_token(connection, token=token)
        return customer_principal(customer)
    async with db.read() as session:
        staff = await auth.verify_token(session, token=token)
    return staff_principal(staff)


async def _channel_principal(db: Database, key: str) -> Principal:
    principal = await channel_key_holder(db, key)
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    return principal


async def channel_key_holder(db: Database, key: str) -> Principal | None:
    """The channel a live API key belongs to, as the caller; None for an unknown or revoked key."""
    holder = await channels.find_key_holder(db, key=key)
    if holder is None:
        return None
    label = f"{holder.channel_code}/{holder.display_prefix}"
    return Principal("channel", holder.key_id, "channel", label, channel_code=holder.channel_code)


def staff_principal(staff: auth.StaffPrincipal) -> Principal:
    """A signed-in staff member; from here on the request's writes are in the audit log."""
    principal = Principal("staff", staff.staff_id, staff.role, staff.email, staff.token_hash)
    audit.identify(principal.actor)
    return principal


def ensure_may_use_channel(principal: Principal, channel_code: str) -> None:
    """An API key places orders only on its own channel; staff may use any channel."""
    if principal.kind == "channel" and principal.channel_code != channel_code:
        raise Forbidden(
            "this API key belongs to channel {channel_code!r}, not {channel_code2!r}",
            params={"channel_code": principal.channel_code, "channel_code2": channel_code},
            field="/channel",
        )


def customer_principal(customer: customers.CustomerPrincipal) -> Principal:
    # The label is the account id, so timelines name customers without their personal data.
    return Principal(
        "customer", customer.customer_id, "customer", str(customer.customer_id), customer.token_hash
    )


async def current_customer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """A signed-in customer; a staff token is refused (staff permissions never apply here)."""
    if principal.kind != "customer":
        raise Forbidden("this is for customers: sign in with POST /api/v1/me/token")
    return principal


async def current_staff(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Any signed-in staff member (for routes about the caller themselves)."""
    if principal.kind != "staff":
        raise Forbidden("only staff may do this")
    return principal


AnyStaff = Annotated[Principal, Depends(current_staff)]


def may(principal: Principal, permission: auth_rules.Permission) -> bool:
    if principal.kind == "staff":
        return auth_rules.role_may(principal.role, permission)
    return principal.kind == "channel" and permission in CHANNEL_KEY_PERMISSIONS


def require(permission: auth_rules.Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if may(principal, permission):
            return principal
        raise Forbidden("your role may not do this ({permission})", params={"permission": permission.value})

    check.permission = permission  # type: ignore[attr-defined]  # read by the route × role matrix test
    return check


def require_staff(permission: auth_rules.Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Like `require`, but an API key is refused even where its channel may act."""

    allowed = require(permission)

    async def check(principal: Principal = Depends(allowed)) -> Principal:
        if principal.kind != "staff":
            raise Forbidden("only staff may do this ({permission})", params={"permission": permission.value})
        return principal

    return check


Customer = Annotated[Principal, Depends(current_customer)]
P = auth_rules.Permission
# One alias per permission: `who: OrdersManage` in a route checks the role and gives the caller.
OrdersRead = Annotated[Principal, Depends(require(P.ORDERS_READ))]
OrdersPlace = Annotated[Principal, Depends(require(P.ORDERS_PLACE))]
OrdersManage = Annotated[Principal, Depends(require(P.ORDERS_MANAGE))]
CatalogRead = Annotated[Principal, Depends(require(P.CATALOG_READ))]
CatalogWrite = Annotated[Principal, Depends(require(P.CATALOG_WRITE))]
InventoryRead = Annotated[Principal, Depends(require(P.INVENTORY_READ))]
InventoryAdjust = Annotated[Principal, Depends(require(P.INVENTORY_ADJUST))]
ChannelsManage = Annotated[Principal, Depends(require(P.CHANNELS_MANAGE))]
StaffManage = Annotated[Principal, Depends(require(P.STAFF_MANAGE))]
ShippingManage = Annotated[Principal, Depends(require(P.SHIPPING_MANAGE))]
SupportManage = Annotated[Principal, Depends(require(P.SUPPORT_MANAGE))]
ReportsRead = Annotated[Principal, Depends(require(P.REPORTS_READ))]
AuditRead = Annotated[Principal, Depends(require_staff(P.AUDIT_READ))]
OrdersImport = Annotated[Principal, Depends(require_staff(P.ORDERS_PLACE))]
