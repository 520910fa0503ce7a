# Lensboard. On a fresh machine, `make run` and `make test` are the only commands you need.
# `make help` lists every target.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
FRONTEND := frontend

# Reinstall when pyproject.toml changes (stamp keyed on its hash), not on every run.
VENV_STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)
HAS_FRONTEND := $(wildcard $(FRONTEND)/package.json)
LOCKFILE := $(wildcard $(FRONTEND)/package-lock.json)
NPM_STAMP := $(if $(LOCKFILE),$(FRONTEND)/node_modules/.installed-$(shell sha256sum $(LOCKFILE) | cut -c1-16))
has_script = scripts/npm_has_script.sh $(1)

.PHONY: help run serve worker migrate test test-python test-frontend lint check-client client bench-interactive \
	venv node frontend-build services test-deps bench-deps clean \
	bench bench-train bench-accuracy bench-map bench-attrib bench-mislabels bench-ui bench-load bench-models bench-scale gpu-check

help: ## Show this help
	@echo "Lensboard: make <target>"
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z_-]+:.*?## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

# --- set-up -------------------------------------------------------------------------------------

$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# torch==2.13.0 resolves to the machine's local CPU wheel through pip's configuration.
	$(PY) -m pip install -q -e '.[worker,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(VENV_STAMP) ## Create .venv and install Lensboard with the worker and dev extras

ifneq ($(NPM_STAMP),)
$(NPM_STAMP): $(LOCKFILE)
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $@
node: $(NPM_STAMP) ## Install the frontend's npm dependencies (npm ci)
else
node:
	@true
endif

frontend-build: node ## Build the dashboard into frontend/dist (served by the API)
ifneq ($(HAS_FRONTEND),)
	npm --prefix $(FRONTEND) run build
else
	@echo "no frontend/package.json: the API serves its placeholder page"
endif

services: ## Start the local PostgreSQL and Redis if they are down
	@scripts/services.sh

test-deps: ## Install chromium and docker-compose (Debian) when missing
	@scripts/test_deps.sh

bench-deps: ## Install wrk (Debian) when missing, for bench-load
	@scripts/bench_deps.sh

# --- run ----------------------------------------------------------------------------------------

run: venv frontend-build migrate ## Set everything up, then serve the API, dashboard and a worker on http://127.0.0.1:8000
	$(BIN)/lensboard serve

serve: venv ## Serve the API and dashboard (plus a worker in embedded mode) without rebuilding
	$(BIN)/lensboard serve

worker: venv ## Run a Celery worker in the foreground (distributed mode: one per GPU)
	$(BIN)/lensboard worker

migrate: venv ## Migrate the database to the latest schema (alembic upgrade head)
	$(BIN)/alembic upgrade head

# --- quality ------------------------------------------------------------------------------------

test: ## Run every test: lint, pytest (SQLite, PostgreSQL, real workers), vitest and end-to-end
	$(MAKE) venv node test-deps services
	$(MAKE) lint
	$(MAKE) test-python
	$(MAKE) test-frontend

lint: venv node ## ruff and mypy over the Python, tsc, ESLint and Prettier over the frontend, and the generated API client's freshness
	$(BIN)/ruff check .
	$(BIN)/mypy
	@if $(call has_script,lint); then npm --prefix $(FRONTEND) run lint; fi
	$(MAKE) check-client

test-python: venv ## pytest over tests/ (no tests collected counts as a failure)
	@rc=0; $(BIN)/pytest tests/ || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

test-frontend: node ## The frontend's unit tests (vitest) and end-to-end tests (Playwright), when defined
	@if $(call has_script,test); then npm --prefix $(FRONTEND) test; else echo "no frontend unit tests"; fi
	@# The end-to-end run serves the built dashboard, so build it first.
	@if $(call has_script,e2e); then $(MAKE) frontend-build && npm --prefix $(FRONTEND) run e2e; \
	else echo "no frontend e2e tests"; fi

check-client: venv node ## Fail when frontend/openapi.json or the generated client is stale
ifneq ($(HAS_FRONTEND),)
	$(PY) scripts/dump_openapi.py --check
	@if $(call has_script,check-client); then npm --prefix $(FRONTEND) run check-client; fi
else
	@true
endif

client: venv node ## Regenerate frontend/openapi.json, the frontend's API client and its spec fixtures
	$(PY) scripts/dump_openapi.py
	$(PY) frontend/scripts/make_spec_fixtures.py
	@if $(call has_script,generate-client); then npm --prefix $(FRONTEND) run generate-client; fi

# --- benchmarks (not tests: each prints figures and a final key=value line) ------------------------

bench: bench-train bench-accuracy bench-map bench-attrib bench-mislabels bench-ui bench-load bench-models bench-interactive ## Run every benchmark

bench-train: venv ## Epoch throughput: platform vs a bare padded PyTorch loop (train_speedup=)
	$(PY) -m bench.train_throughput

bench-accuracy: venv ## Default CNN, 5 epochs on full IMDB (test_accuracy=)
	$(PY) -m bench.accuracy

bench-map: venv ## Population map on 50k samples
	$(PY) -m bench.map

bench-attrib: venv ## Attribution methods: latency and faithfulness
	$(PY) -m bench.attrib

bench-mislabels: venv ## Mislabel detection against injected label noise
	$(PY) -m bench.mislabels

bench-ui: node ## The dashboard's 50k-point map in headless Chromium (map_fps=)
	npm --prefix $(FRONTEND) run bench-ui

bench-load: venv services bench-deps ## API load on PostgreSQL: requests/s and latency percentiles (samples_p95_ms=)
	$(PY) -m bench.load

bench-models: venv ## Every architecture on IMDB (lstm_/bilstm_/ngram_test_accuracy=)
	$(PY) -m bench.models

bench-scale: venv ## The chain at scale: synthetic corpus, streamed import, one ngram epoch, map (N=1000000; scale_total_minutes=); RANK=K adds a K-fold mislabel ranking; with REDIS=redis://..., distributed, then sharded evaluation with 1/2/4 workers (eval_shards_speedup_<W>_workers=)
	$(PY) -m bench.scale --n $(or $(N),1000000) $(if $(RANK),--rank $(RANK)) $(if $(REDIS),--postgres --broker-url $(REDIS))

gpu-check: venv ## The GPU path in one script (CUDA when present; CPU at small sizes otherwise)
	$(PY) -m bench.gpu_check

bench-interactive: venv ## Analyses and maps while a training runs, embedded default (analysis_while_training_p50_s=)
	$(PY) -m bench.interactive $(BENCH_ARGS)

clean: ## Remove the venv, node_modules and build outputs (keeps .lensboard data)
	rm -rf $(VENV) $(FRONTEND)/node_modules $(FRONTEND)/dist .pytest_cache .mypy_cache .ruff_cache
