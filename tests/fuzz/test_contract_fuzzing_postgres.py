"""S-FUZZ-1, S-SEC-4 and S-SEC-10 against a server on PostgreSQL (the tests are in
`contract.py`): 25 examples per operation in CI, beside the 100 on SQLite, to keep the suite's
length; `make test-long` runs 1,000 on both."""

from __future__ import annotations

import os

import pytest

if not os.environ.get("DINGDAN_TEST_POSTGRES_URL"):
    if os.environ.get("DINGDAN_TEST_REQUIRE_POSTGRES"):
        raise RuntimeError("PostgreSQL is required here but DINGDAN_TEST_POSTGRES_URL is not set")
    pytest.skip("no PostgreSQL (DINGDAN_TEST_POSTGRES_URL)", allow_module_level=True)

from fuzz.contract import suite

globals().update(suite("postgres", ci_examples=25))
