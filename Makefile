# The two commands of the README: `make run` and `make test`. Everything else is a helper.
VENV   := .venv
PY     := $(VENV)/bin/python
EHSJ   := $(VENV)/bin/ehsj
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test lint typecheck pytest bench services chromium clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: set up everything (venv, database under var/, contract, demo year, director token) and serve
run: $(STAMP)
	$(EHSJ) bootstrap
	$(EHSJ) serve

## test: lint, type-check and the whole test suite on SQLite and the local PostgreSQL, and in Chromium
test: $(STAMP) services chromium lint typecheck pytest

services:
	./scripts/ensure-services.sh

chromium:
	./scripts/ensure-chromium.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q

## bench: the benchmarks (BENCH_EVENTS=N for a smaller run); results in bench/results/latest.json
BENCH_STAMP := $(VENV)/.bench-installed-stamp

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench.run

clean:
	rm -rf var/ .pytest_cache .mypy_cache .ruff_cache tests/artifacts
