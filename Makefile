# Everything a fresh machine needs is installed from here (and .ci/run for CI's services).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench check lint fmt clean services-bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make demo: the main job on the embedded default, the simulated bank.
demo: $(STAMP)
	$(BIN)/harness demo

## make test: the whole suite (PostgreSQL tests run when HARNESS_TEST_PG_URL is set; .ci/run sets it).
test: $(STAMP)
	$(BIN)/pytest -q

## make bench: side-by-side benchmarks (about ten minutes, bounded loads), a summary table at
## the end; needs wrk and nginx from Debian's packages. PostgreSQL is measured too when
## HARNESS_BENCH_PG_URL names a server (default: the local one .ci/run starts); unreachable,
## it is reported as skipped.
HARNESS_BENCH_PG_URL ?= postgresql+psycopg://harness:harness@127.0.0.1:5432/harness

services-bench:
	@command -v wrk >/dev/null && command -v nginx >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx)

bench: $(STAMP) services-bench
	HARNESS_BENCH_PG_URL='$(HARNESS_BENCH_PG_URL)' $(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff format --check harness addons tests benchmarks
	$(BIN)/ruff check harness addons tests benchmarks
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format harness addons tests benchmarks
	$(BIN)/ruff check --fix harness addons tests benchmarks

check: lint test

clean:
	rm -rf $(VENV) harness-out .pytest_cache .mypy_cache .ruff_cache
