from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from dingdan.auth import service as auth
from dingdan.platform.errors import DomainError
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, AnyStaff
from dingdan.web.origin import record_failed_login, staff_signed_in, staff_signing_out
from dingdan.web.ratelimit import rate_limits

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str


class MeOut(BaseModel):
    email: str
    role: str


@router.post(
    "/token",
    response_model=TokenOut,
    responses=problems(401, 422, 429),
    summary="Exchange a staff e-mail and password for a bearer token",
)
async def issue_token(
    request: Request, db: DB, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Response:
    account = form.username.strip().lower()
    limits = rate_limits(request)
    await limits.check_login(request, account)

    async def login(session: AsyncSession) -> dict[str, str]:
        staff = await auth.authenticate(session, email=form.username, password=form.password)
        staff_signed_in(staff.id, staff.email)
        token = await auth.issue_token(session, staff=staff, user_agent=request.headers.get("user-agent", ""))
        return {"access_token": token, "token_type": "bearer", "role": staff.role}

    try:
        body = await db.write(login)
    except DomainError as error:
        await limits.login_failed(request, account)
        await record_failed_login(db, account, error.code)
        raise
    return json_response(body)


@router.post("/logout", status_code=204, responses=problems(401), summary="Revoke this token")
async def logout(db: DB, principal: AnyStaff) -> Response:
    staff_signing_out(principal.id)
    await db.write(lambda s: auth.revoke_token(s, token_hash=principal.token_hash))
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, responses=problems(401))
async def me(principal: AnyStaff) -> Response:
    return json_response({"email": principal.label, "role": principal.role})
