"""The public lookup's lean route answers exactly as the FastAPI route does (web/routing.LeanRoute)."""

from __future__ import annotations

import httpx

from dingdan.web.api.tracking import get_tracking_lean
from shipping.test_public_tracking import shipped_and_moving


def seen(answer: httpx.Response) -> tuple[int, str, str | None, bytes]:
    return (
        answer.status_code,
        answer.headers["content-type"],
        answer.headers.get("cache-control"),
        answer.content,
    )


async def test_every_lookup_gets_the_same_answer_with_or_without_the_lean_route(
    client, without_lean, db, login, carriers
):
    number, (parcel,) = await shipped_and_moving(client, db, login, carriers)
    tn = parcel["tracking_number"]
    queries = [
        f"tracking_number={tn}",
        f"tracking_number={tn.lower()}",
        f"order_number={number}&phone_last4=5678",
        f"order_number={number}&phone_last4=1234",
        "tracking_number=SIM0000000000",
        f"tracking_number={tn}&utm_source=mail",
        f"tracking_number={tn}&tracking_number=SIM0000000000",
        f"tracking_number={'9' * 65}",
        f"order_number={number}",
        "tracking_number=",
        "",
    ]
    for query in queries:
        lean = await client.get(f"/api/v1/tracking?{query}")
        full = await without_lean.get(f"/api/v1/tracking?{query}")
        assert seen(lean) == seen(full), query


def scope_of(query: str, app) -> dict:
    return {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/tracking",
        "query_string": query.encode(),
        "headers": [],
        "client": ("127.0.0.1", 50000),
        "app": app,
    }


async def test_the_lean_handler_serves_known_parameters_and_hands_on_the_rest(client, db, login, carriers):
    _, (parcel,) = await shipped_and_moving(client, db, login, carriers)
    app = client.app
    served = await get_tracking_lean(scope_of(f"tracking_number={parcel['tracking_number']}", app), b"")
    assert served is not None and served.status_code == 200
    for query in (
        f"tracking_number={'9' * 65}",
        "order_number=1&order_number=2",
        "phone_last4=12345",
        "page=2",
    ):
        assert await get_tracking_lean(scope_of(query, app), b"") is None, query
