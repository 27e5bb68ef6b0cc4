"""Tokens, roles and the operational endpoints."""

from __future__ import annotations

from factories.shop import make_sku, order_body


async def test_token_login_and_logout(client, login):
    await login("clerk")
    answer = await client.post(
        "/api/v1/auth/token", data={"username": "CLERK@shop.test", "password": "correct horse"}
    )
    assert answer.status_code == 200
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).json() == {
        "email": "clerk@shop.test",
        "role": "clerk",
    }
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_s_sec_7_wrong_password_is_401_and_then_throttled_with_retry_after(client, login):
    await login("clerk")
    statuses = []
    for _ in range(11):
        answer = await client.post(
            "/api/v1/auth/token", data={"username": "clerk@shop.test", "password": "nope"}
        )
        statuses.append(answer.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert int(answer.headers["retry-after"]) > 0


async def test_s_sec_7_missing_or_forged_tokens_get_401(client):
    assert (await client.get("/api/v1/orders")).status_code == 401
    forged = await client.get("/api/v1/orders", headers={"Authorization": "Bearer dd_forged"})
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"


async def test_roles_are_checked_on_every_action(client, db, login):
    sku = await make_sku(db, stock=5)
    analyst = await login("analyst")
    warehouse = await login("warehouse")
    assert (
        await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=analyst)
    ).status_code == 403
    assert (await client.get("/api/v1/orders", headers=analyst)).status_code == 200
    adjust = {"delta": 5, "reason": "進貨"}
    assert (
        await client.post(f"/api/v1/inventory/{sku}/adjustments", json=adjust, headers=analyst)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/inventory/{sku}/adjustments", json=adjust, headers=warehouse)
    ).status_code == 201
    order = (
        await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=await login("clerk"))
    ).json()
    assert (
        await client.post(f"/api/v1/orders/{order['number']}/cancel", headers=warehouse)
    ).status_code == 403
    assert (await client.get("/api/v1/channels", headers=await login("clerk"))).status_code == 403


async def test_health_and_openapi(client):
    health = (await client.get("/health")).json()
    assert health["status"] == "ok" and health["database"]["state"] == "up"
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/api/v1/orders",
        "/api/v1/orders/{number}/confirm",
        "/api/v1/orders/{number}/cancel",
        "/api/v1/inventory/{sku}",
        "/api/v1/inventory/{sku}/adjustments",
        "/api/v1/products",
        "/api/v1/auth/token",
    ):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert (await client.get("/docs")).status_code == 200


async def test_metrics_readiness_and_request_ids(client, db, login):
    sku = await make_sku(db, stock=1)
    clerk = await login("clerk")
    await client.post("/api/v1/orders", json=order_body((sku, 1)), headers=clerk)
    refused = order_body((sku, 1))
    refused["customer"]["phone"] = "0977000111"
    await client.post("/api/v1/orders", json=refused, headers=clerk)
    text = (await client.get("/metrics")).text
    assert 'dingdan_orders_placed_total{channel="web"}' in text
    assert "dingdan_stock_reservations_refused_total" in text
    assert 'dingdan_http_request_seconds_bucket{le="0.005",method="POST",route="/api/v1/orders"}' in text
    assert "dingdan_outbox_lag_events" in text
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    assert (await client.get("/health/ready")).status_code == 200
    answer = await client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert answer.headers["x-request-id"] == "trace-123"
    assert len((await client.get("/health")).headers["x-request-id"]) == 32
