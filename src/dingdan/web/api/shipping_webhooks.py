"""Carrier pushes. The raw body is handed to the carrier's adapter, which checks the
signature before anything is read: a badly signed push gets 401 and changes nothing. A good
one is recorded and answered at once; its scans are applied by the event relay."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dingdan.web.api.responses import problems
from dingdan.web.deps import DB
from dingdan.workflows.carriers import get_carriers
from dingdan.workflows.track_parcels import ingest_push

router = APIRouter(prefix="/webhooks", tags=["carrier webhooks"])
ANSWERS = {200: {"description": "accepted (replays are accepted and add nothing)"}, **problems(400, 401, 413)}


async def _receive(db: DB, request: Request, carrier_code: str) -> Response:
    carrier = get_carriers().get(carrier_code)
    reply = await ingest_push(db, carrier=carrier, headers=dict(request.headers), body=await request.body())
    return Response(reply.body, status_code=reply.status_code, media_type=reply.content_type)


@router.post(
    "/aftership",
    responses=ANSWERS,
    summary="AfterShip tracking updates; header aftership-hmac-sha256 = base64 HMAC-SHA256 of the body "
    "with DINGDAN_AFTERSHIP_WEBHOOK_SECRET",
)
async def post_aftership(request: Request, db: DB) -> Response:
    return await _receive(db, request, "aftership")


@router.post(
    "/kuaidi100",
    responses=ANSWERS,
    summary="Kuaidi100 subscription pushes; form fields param and sign = uppercase MD5(param + "
    "DINGDAN_KUAIDI100_SALT)",
)
async def post_kuaidi100(request: Request, db: DB) -> Response:
    return await _receive(db, request, "kuaidi100")


@router.post(
    "/sim",
    responses=ANSWERS,
    summary="The simulated carrier's pushes; X-Dingdan-Sim-Timestamp and X-Dingdan-Sim-Signature "
    "(v1=hex HMAC-SHA256 of timestamp.body)",
)
async def post_sim(request: Request, db: DB) -> Response:
    return await _receive(db, request, "sim")
