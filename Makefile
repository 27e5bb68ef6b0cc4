# dingdan — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-long lint bench cluster clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/dingdan migrate
	$(BIN)/dingdan demo --if-empty
	$(BIN)/dingdan serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -q -m "not slow"

test-long: install
	DINGDAN_FUZZ_EXAMPLES=1000 DINGDAN_STATEFUL_EXAMPLES=5000 DINGDAN_STATEFUL_STEPS=50 $(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

cluster: install
	$(BIN)/python -m ops.cluster

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
