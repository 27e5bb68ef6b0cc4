"""S-FUZZ-1: schemathesis generates requests for every operation of the OpenAPI spec — valid
and invalid — against a seeded `dingdan serve`; none may answer with a 5xx, and every answer
must match the documented status codes. `suite(database)` builds the tests for one database;
`test_contract_fuzzing.py` (SQLite) and `test_contract_fuzzing_postgres.py` take them.

S-SEC-10: an operation that declares credentials must refuse a request without them (the
`ignored_auth` check resends each successful request with no and with a wrong token).
S-SEC-4: a customer's answers must match their closed schemas (`response_schema_conformance`):
a field nobody declared fails."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from bench import setup
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_schema_conformance,
)

ADDRESS = {"recipient": "林小美", "phone": "0922-333-444", "country": "TW", "city": "臺北市",
           "district": "大安區", "postal_code": "106", "line1": "忠孝東路四段 1 號"}  # fmt: skip
SIGNS_OUT = {("POST", "/api/v1/me/logout"), ("DELETE", "/api/v1/me/sessions/{session_id}"),
             ("POST", "/api/v1/auth/logout")}  # fmt: skip
LINK_BODIES = {"/shipping-address": {"shipping_address": ADDRESS}, "/messages": {"body": "請問何時出貨?"}}
QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture]


def examples(default: int) -> int:
    """DINGDAN_FUZZ_EXAMPLES (`make test-long`: 1,000) or the database's CI size."""
    return int(os.environ.get("DINGDAN_FUZZ_EXAMPLES", default))


class Shop:
    """A seeded server on one database: the owner's token, a customer with a shipped order."""

    def __init__(self, database: str) -> None:
        self.database, self.name = database, f"dingdan_fuzz_{os.getpid()}"
        url = setup.fresh_database(database, self.name)
        self.token = setup.seed(url, skus=20, stock=1000)
        self._server = setup.served(url)
        self.base, _process = self._server.__enter__()
        self.customer, self.order_number = self._customer_with_a_parcel()
        self.schema = schemathesis.openapi.from_url(f"{self.base}/openapi.json")

    def stop(self) -> None:
        self._server.__exit__(None, None, None)
        setup.drop_database(self.database, self.name)

    def _customer_with_a_parcel(self) -> tuple[str, str]:
        """A customer account and one of its orders, shipped: (token, order number)."""
        with httpx.Client(base_url=self.base, timeout=30) as http:
            account = {"username": "fuzz@example.com", "password": "sesame-street"}
            token = http.post("/api/v1/me/register", json=account).json()["access_token"]
            body = {"shipping_address": ADDRESS, "lines": [{"sku": "B-00001", "quantity": 1}], "payment_method": "cod"}
            placed = http.post("/api/v1/me/orders", json=body, headers={"Authorization": f"Bearer {token}"})
            number = placed.json()["number"]
            shipped = http.post(
                f"/api/v1/orders/{number}/shipments", json={"carrier": "sim"},
                headers={"Authorization": f"Bearer {self.token}"},
            )  # fmt: skip
            assert shipped.status_code == 201, shipped.text
        return token, number


def suite(database: str, ci_examples: int) -> dict[str, Callable[..., Any]]:
    """The fuzzing tests against a server on `database`, for a test module's globals."""
    shop = Shop(database)
    count = examples(ci_examples)
    schema = shop.schema

    @pytest.mark.fuzz
    @schema.parametrize()
    @settings(max_examples=count, deadline=None, suppress_health_check=QUIET)
    def test_s_fuzz_1_no_operation_answers_with_a_server_error(case: Any) -> None:
        if case.path.startswith("/webhooks/"):
            pytest.skip("webhooks are fuzzed with signatures in their own tests")
        if (case.method, case.path) in SIGNS_OUT:
            pytest.skip("signing out would revoke the token every other case uses")
        response = case.call(base_url=shop.base, headers={"Authorization": f"Bearer {shop.token}"})
        case.validate_response(response, checks=[not_a_server_error, ignored_auth])
        if response.status_code >= 400:
            content_type = response.headers["content-type"]
            content_type = content_type[0] if isinstance(content_type, list) else content_type
            assert content_type.startswith("application/problem+json"), (case.method, case.path, response.text)

    @pytest.mark.fuzz
    @schema.include(path_regex=r"^/api/v1/(me(/|$)|tracking$)").parametrize()
    @settings(max_examples=count, deadline=None, suppress_health_check=QUIET)
    def test_s_sec_4_a_customer_gets_only_declared_fields(case: Any) -> None:
        if (case.method, case.path) in SIGNS_OUT:
            pytest.skip("signing out would revoke the token every other case uses")
        if "number" in (case.path_parameters or {}):
            case.path_parameters["number"] = shop.order_number  # their own order, so answers carry data
        response = case.call(base_url=shop.base, headers={"Authorization": f"Bearer {shop.customer}"})
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance, ignored_auth])

    @pytest.mark.fuzz
    def test_s_fuzz_1_every_link_from_a_placed_order_leads_to_that_order() -> None:
        """The OpenAPI links of "place an order" (read, change address, pay, cancel, after-sales,
        messages), followed from a real answer: none may lose the order (404) or break its schema."""
        placing = schema["/api/v1/me/orders"]["POST"]
        links = placing.definition.raw["responses"]["201"]["links"]
        headers = {"Authorization": f"Bearer {shop.customer}"}
        body = {"shipping_address": ADDRESS, "lines": [{"sku": "B-00002", "quantity": 1}], "payment_method": "online"}
        followed = []
        for name, link in links.items():
            placed = placing.Case(body=body).call(base_url=shop.base, headers=headers)
            number = placed.json()["number"]
            pointer = link["operationRef"].removeprefix("#/paths/")
            path, method = (part.replace("~1", "/").replace("~0", "~") for part in pointer.rsplit("/", 1))
            target = schema[path][method.upper()]
            extra = {"body": LINK_BODIES[path.removeprefix("/api/v1/me/orders/{number}")]} if target.body else {}
            case = target.Case(path_parameters={"number": number}, **extra)
            response = case.call(base_url=shop.base, headers=headers)
            assert response.status_code < 400, (name, response.status_code, response.text)
            case.validate_response(response, checks=[response_schema_conformance])
            followed.append(name)
        assert len(followed) == len(links) >= 5

    def teardown_module() -> None:
        shop.stop()

    return {
        "test_s_fuzz_1_no_operation_answers_with_a_server_error": test_s_fuzz_1_no_operation_answers_with_a_server_error,
        "test_s_sec_4_a_customer_gets_only_declared_fields": test_s_sec_4_a_customer_gets_only_declared_fields,
        "test_s_fuzz_1_every_link_from_a_placed_order_leads_to_that_order": (
            test_s_fuzz_1_every_link_from_a_placed_order_leads_to_that_order
        ),
        "teardown_module": teardown_module,
    }
