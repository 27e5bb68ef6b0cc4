"""Customer accounts: register and sign in by e-mail or mobile, sessions, resets, claiming."""

from __future__ import annotations

from sqlalchemy import select

from dingdan.platform.events import EventRow
from factories.shop import make_sku, order_body


async def _token(client, username, password="sesame-street"):
    return await client.post("/api/v1/me/token", data={"username": username, "password": password})


async def _last_code(db, topic):
    async with db.read() as session:
        row = await session.scalar(
            select(EventRow).where(EventRow.topic == topic).order_by(EventRow.id.desc())
        )
    return row.payload


async def test_register_by_mobile_and_sign_in_with_another_spelling(client, customer):
    await customer("0912-345-678")
    response = await _token(client, "+886 912 345 678")
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert token.startswith("ddc_")
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["mobile"] == "0912345678"
    assert me["email"] is None
    assert me["mobile_verified"] is False


async def test_duplicate_account_and_bad_input_are_refused(client, customer):
    await customer("Mei@Example.com")
    again = await client.post(
        "/api/v1/me/register", json={"username": "mei@example.com", "password": "12345678"}
    )
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/duplicate-account"
    weak = await client.post("/api/v1/me/register", json={"username": "new@example.com", "password": "short"})
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "/password"
    nonsense = await client.post(
        "/api/v1/me/register", json={"username": "not a contact", "password": "12345678"}
    )
    assert nonsense.status_code == 422
    assert nonsense.json()["errors"][0]["field"] == "/username"


async def test_wrong_password_is_401_and_repeated_failures_are_rate_limited(client, customer):
    await customer("lin@example.com")
    wrong = await _token(client, "lin@example.com", "wrong-password")
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "/problems/bad-credentials"
    for _ in range(9):
        await _token(client, "lin@example.com", "wrong-password")
    limited = await _token(client, "lin@example.com", "sesame-street")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_staff_and_customer_tokens_do_not_cross(client, customer, login):
    shopper = await customer()
    staff = await login("owner")
    assert (await client.get("/api/v1/orders", headers=shopper)).status_code == 403
    assert (await client.get("/api/v1/me/orders", headers=staff)).status_code == 403
    assert (await client.get("/api/v1/me/orders")).status_code == 401


async def test_sessions_can_be_listed_and_revoked(client, customer):
    first = await customer("devices@example.com")
    second_token = (await _token(client, "devices@example.com")).json()["access_token"]
    second = {"Authorization": f"Bearer {second_token}"}
    listed = (await client.get("/api/v1/me/sessions", headers=first)).json()
    assert len(listed) == 2
    other = next(s for s in listed if not s["current"])
    assert (await client.delete(f"/api/v1/me/sessions/{other['id']}", headers=first)).status_code == 204
    assert (await client.get("/api/v1/me", headers=second)).status_code == 401
    assert (await client.post("/api/v1/me/logout", headers=first)).status_code == 204
    assert (await client.get("/api/v1/me", headers=first)).status_code == 401


async def test_password_reset_by_one_time_code(client, customer, db):
    await customer("forgot@example.com")
    unknown = await client.post("/api/v1/me/password-reset", json={"username": "nobody@example.com"})
    assert unknown.status_code == 202  # the same answer: no account enumeration
    sent = await client.post("/api/v1/me/password-reset", json={"username": "forgot@example.com"})
    assert sent.status_code == 202
    delivery = await _last_code(db, "customer.reset_requested")
    assert delivery["channel"] == "email" and delivery["to"] == "forgot@example.com"
    wrong = "000000" if delivery["code"] != "000000" else "111111"
    body = {"username": "forgot@example.com", "code": wrong, "new_password": "brand-new-secret"}
    refused = await client.post("/api/v1/me/password-reset/confirm", json=body)
    assert refused.status_code == 422 and refused.json()["type"] == "/problems/invalid-code"
    body["code"] = delivery["code"]
    assert (await client.post("/api/v1/me/password-reset/confirm", json=body)).status_code == 204
    assert (await _token(client, "forgot@example.com")).status_code == 401
    assert (await _token(client, "forgot@example.com", "brand-new-secret")).status_code == 200
    used_again = await client.post("/api/v1/me/password-reset/confirm", json=body)
    assert used_again.status_code == 422


async def test_five_wrong_codes_burn_the_code(client, customer, db):
    await customer("guess@example.com")
    await client.post("/api/v1/me/password-reset", json={"username": "guess@example.com"})
    code = (await _last_code(db, "customer.reset_requested"))["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    body = {"username": "guess@example.com", "code": wrong, "new_password": "brand-new-secret"}
    for _ in range(5):
        assert (await client.post("/api/v1/me/password-reset/confirm", json=body)).status_code == 422
    body["code"] = code
    assert (await client.post("/api/v1/me/password-reset/confirm", json=body)).status_code == 422


async def test_guest_orders_are_claimed_after_verifying_the_phone(client, customer, db, login):
    sku = await make_sku(db, stock=10)
    guest = order_body((sku, 1))  # placed by phone 0912345678, no account
    placed = (await client.post("/api/v1/orders", json=guest, headers=await login("clerk"))).json()
    shopper = await customer("0912345678")
    early = await client.post("/api/v1/me/claim-orders", headers=shopper)
    assert early.status_code == 409 and early.json()["type"] == "/problems/contact-not-verified"
    sent = await client.post("/api/v1/me/verify", json={"channel": "mobile"}, headers=shopper)
    assert sent.status_code == 202 and sent.json()["sent_to"].endswith("5678")
    code = (await _last_code(db, "customer.verification_requested"))["code"]
    confirm = await client.post(
        "/api/v1/me/verify/confirm", json={"channel": "mobile", "code": code}, headers=shopper
    )
    assert confirm.status_code == 204
    claimed = (await client.post("/api/v1/me/claim-orders", headers=shopper)).json()["claimed"]
    assert claimed == [placed["number"]]
    mine = (await client.get(f"/api/v1/me/orders/{placed['number']}", headers=shopper)).json()
    assert mine["number"] == placed["number"]
