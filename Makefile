# Everything a fresh machine needs is installed from here (and .ci/run for CI's services).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast tools browser prism bench check lint fmt clean services-bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make demo: the main job on the embedded default, the simulated bank.
demo: $(STAMP)
	$(BIN)/harness demo

## make test: the whole suite, about 10 minutes on 2 cores (PostgreSQL tests run when HARNESS_TEST_PG_URL
## is set; .ci/run sets it). The report's browser test needs `make browser` (root) once.
test: $(STAMP) tools
	$(BIN)/pytest -q

## make test-fast: the unit tests, no process started, in under a minute. A test that starts
## a process is marked `process` automatically (tests/conftest.py) and left out here, and so
## are the `slow` acceptance runs (learning every simulated bank's days: about a minute).
test-fast: $(STAMP)
	HARNESS_TEST_FAST=1 $(BIN)/pytest -q -m "not process and not slow"

## make tools: what tests use beyond Python, installed locally (Prism, when npm is present).
tools: prism

## make browser: Debian's Chromium and a CJK font, for the report's browser test (as root).
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei)

## make prism: Stoplight Prism into .tools/prism (not global), to load the OpenAPI export.
PRISM := .tools/prism/node_modules/.bin/prism
prism: $(PRISM)
$(PRISM):
	@if command -v npm >/dev/null && command -v node >/dev/null; then \
	  npm install --prefix .tools/prism --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5; \
	else echo "node/npm not found: the OpenAPI test skips loading the export in Prism"; fi

## make bench: side-by-side benchmarks (about twenty minutes, bounded loads), a summary table at
## the end; needs wrk and nginx from Debian's packages. PostgreSQL is measured too when
## HARNESS_BENCH_PG_URL names a server (default: the local one .ci/run starts); unreachable,
## it is reported as skipped.
HARNESS_BENCH_PG_URL ?= postgresql+psycopg://harness:harness@127.0.0.1:5432/harness

services-bench:
	@command -v wrk >/dev/null && command -v nginx >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx)

bench: $(STAMP) services-bench prism
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
	rm -rf $(VENV) .tools harness-out .pytest_cache .mypy_cache .ruff_cache
