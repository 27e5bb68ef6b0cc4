from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from starlette.responses import Response

from dingdan.auth import service as auth
from dingdan.web.api.responses import json_response, problems
from dingdan.web.deps import DB, AnyStaff
from dingdan.web.ratelimit import login_limiter

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
    login_limiter.check(request, form.username.lower())

    async def login(session):
        staff = await auth.authenticate(session, email=form.username, password=form.password)
        token = await auth.issue_token(session, staff=staff, user_agent=request.headers.get("user-agent", ""))
        return {"access_token": token, "token_type": "bearer", "role": staff.role}

    try:
        body = await db.write(login)
    except Exception:
        login_limiter.failed(request, form.username.lower())
        raise
    return json_response(body)


@router.post("/logout", status_code=204, responses=problems(401), summary="Revoke this token")
async def logout(db: DB, principal: AnyStaff) -> Response:
    await db.write(lambda s: auth.revoke_token(s, token_hash=principal.token_hash))
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, responses=problems(401))
async def me(principal: AnyStaff) -> Response:
    return json_response({"email": principal.label, "role": principal.role})
