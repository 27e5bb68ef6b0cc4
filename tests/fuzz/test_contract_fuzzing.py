"""S-FUZZ-1, S-SEC-4 and S-SEC-10 against a server on SQLite, at the scenario's CI size of 100
examples per operation (the tests are in `contract.py`)."""

from __future__ import annotations

from fuzz.contract import suite

globals().update(suite("sqlite", ci_examples=100))
