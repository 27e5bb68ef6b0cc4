"""The customer's account over the API (the merchant's app uses the same routes as the portal)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from dingdan.customers import codes
from dingdan.customers import service as customers
from dingdan.customers.errors import InvalidCode
from dingdan.customers.models import Account
from dingdan.customers.rules import ContactKind
from dingdan.orders.customer_view import CLOSED
from dingdan.orders.schemas import Strict
from dingdan.platform.errors import NotFound
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, Customer
from dingdan.web.ratelimit import rate_limits
from dingdan.workflows.claim_orders import claim_guest_orders

router = APIRouter(prefix="/api/v1/me", tags=["me"])
Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]


class RegisterIn(Strict):
    username: Username
    password: Password
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""


class ResetIn(Strict):
    username: Username


class ResetConfirmIn(Strict):
    username: Username
    code: Code
    new_password: Password


class VerifyIn(Strict):
    channel: ContactKind


class VerifyConfirmIn(Strict):
    channel: ContactKind
    code: Code


class CustomerTokenOut(BaseModel):
    model_config = CLOSED
    access_token: str
    token_type: str = "bearer"


class ProfileOut(BaseModel):
    model_config = CLOSED
    id: int
    name: str
    email: str | None
    mobile: str | None
    email_verified: bool
    mobile_verified: bool


class SessionOut(BaseModel):
    model_config = CLOSED
    id: int
    created_at: str
    expires_at: str
    user_agent: str
    current: bool


class AcceptedOut(BaseModel):
    model_config = CLOSED
    detail: str


class CodeSentOut(BaseModel):
    model_config = CLOSED
    sent_to: str = Field(description="the address or number, masked")


class ClaimedOut(BaseModel):
    model_config = CLOSED
    claimed: list[str] = Field(description="numbers of the guest orders now in this account")


def profile(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "email": account.email,
        "mobile": account.mobile,
        "email_verified": account.email_verified_at is not None,
        "mobile_verified": account.mobile_verified_at is not None,
    }


@router.post(
    "/register",
    status_code=201,
    response_model=CustomerTokenOut,
    responses=problems(409, 422),
    summary="Open a customer account by e-mail or mobile number; answers with a token",
)
async def register(request: Request, db: DB, data: RegisterIn) -> Response:
    async def create(session: AsyncSession) -> str:
        account = await customers.register(
            session, contact=data.username, password=data.password, name=data.name
        )
        return await customers.issue_token(
            session, account=account, user_agent=request.headers.get("user-agent", "")
        )

    return json_response({"access_token": await db.write(create), "token_type": "bearer"}, status=201)


async def sign_in(request: Request, db: DB, username: str, password: str) -> str:
    """A new session token, rate-limited per account and per client address."""
    account_key = f"customer:{username.strip().lower()}"
    limits = rate_limits(request)
    await limits.check_login(request, account_key)

    async def login(session: AsyncSession) -> str:
        account = await customers.authenticate(session, contact=username, password=password)
        return await customers.issue_token(
            session, account=account, user_agent=request.headers.get("user-agent", "")
        )

    try:
        return await db.write(login)
    except Exception:
        await limits.login_failed(request, account_key)
        raise


@router.post(
    "/token",
    response_model=CustomerTokenOut,
    responses=problems(401, 422, 429),
    summary="Exchange an e-mail or mobile number and password for a customer token",
)
async def issue_token(
    request: Request, db: DB, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Response:
    token = await sign_in(request, db, form.username, form.password)
    return json_response({"access_token": token, "token_type": "bearer"})


@router.post("/logout", status_code=204, responses=problems(401, 403), summary="End this session")
async def logout(db: DB, who: Customer) -> Response:
    await db.write(lambda s: customers.revoke_token(s, token_hash=who.token_hash))
    return Response(status_code=204)


@router.get("", response_model=ProfileOut, responses=problems(401, 403), summary="The signed-in customer")
async def me(db: DB, who: Customer) -> Response:
    async with db.read() as session:
        account = await customers.get_account(session, customer_id=who.id)
    return json_response(profile(account))


@router.get(
    "/sessions",
    response_model=list[SessionOut],
    responses=problems(401, 403),
    summary="The customer's signed-in devices",
)
async def sessions(db: DB, who: Customer) -> Response:
    async with db.read() as session:
        found = await customers.list_sessions(session, customer_id=who.id)
    return json_response(
        [
            {
                "id": s.id,
                "created_at": s.created_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "user_agent": s.user_agent,
                "current": s.token_hash == who.token_hash,
            }
            for s in found
        ]
    )


@router.delete("/sessions/{session_id}", status_code=204, responses=problems(401, 403, 404))
async def revoke_session(session_id: Annotated[int, Path(ge=1, le=2**62)], db: DB, who: Customer) -> Response:
    """Sign one of your devices out."""
    if not await db.write(lambda s: customers.revoke_session(s, customer_id=who.id, session_id=session_id)):
        raise NotFound("no session {session_id}", params={"session_id": session_id}, field="session_id")
    return Response(status_code=204)


@router.post(
    "/password-reset",
    status_code=202,
    response_model=AcceptedOut,
    responses=problems(422, 429),
    summary="Send a one-time reset code to the e-mail or mobile number (if it has an account)",
)
async def request_reset(request: Request, db: DB, data: ResetIn) -> Response:
    await rate_limits(request).code_requested(request, f"reset:{data.username.lower()}")
    await db.write(lambda s: codes.request_password_reset(s, contact=data.username))
    return json_response({"detail": "if this account exists, a code is on its way"}, status=202)


@router.post(
    "/password-reset/confirm",
    status_code=204,
    responses=problems(422),
    summary="Set a new password with the code; every session is signed out",
)
async def confirm_reset(db: DB, data: ResetConfirmIn) -> Response:
    done = await db.write(
        lambda s: codes.reset_password(
            s, contact=data.username, code=data.code, new_password=data.new_password
        )
    )
    if done is None:
        raise InvalidCode("the code is wrong, used or expired; ask for a new one", field="code")
    return Response(status_code=204)


@router.post(
    "/verify",
    status_code=202,
    response_model=CodeSentOut,
    responses=problems(401, 403, 422, 429),
    summary="Send a code proving the account's e-mail or mobile number",
)
async def request_verification(request: Request, db: DB, who: Customer, data: VerifyIn) -> Response:
    await rate_limits(request).code_requested(request, f"verify:{who.id}")

    async def send(session: AsyncSession) -> str:
        account = await customers.get_account(session, customer_id=who.id)
        return await codes.request_verification(session, account=account, kind=data.channel)

    return json_response({"sent_to": await db.write(send)}, status=202)


@router.post("/verify/confirm", status_code=204, responses=problems(401, 403, 422))
async def confirm_verification(db: DB, who: Customer, data: VerifyConfirmIn) -> Response:
    """Prove the e-mail or mobile number with the code sent to it."""

    async def confirm(session: AsyncSession) -> bool:
        account = await customers.get_account(session, customer_id=who.id)
        return await codes.confirm_verification(session, account=account, kind=data.channel, code=data.code)

    if not await db.write(confirm):
        raise InvalidCode("the code is wrong, used or expired; ask for a new one", field="code")
    return Response(status_code=204)


@router.post(
    "/claim-orders",
    response_model=ClaimedOut,
    responses=problems(401, 403, 409),
    summary="Attach guest orders placed with the account's verified e-mail or mobile number",
)
async def claim_orders(db: DB, who: Customer) -> Response:
    claimed = await db.write(lambda s: claim_guest_orders(s, customer_id=who.id))
    return json_response({"claimed": claimed})
