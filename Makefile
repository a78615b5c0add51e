# Cocreate. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Installs are skipped when pyproject.toml has not changed since the last one.
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
# npm writes this after an install; `npm ci` reruns only when package-lock.json changes.
STAMP_NPM := node_modules/.package-lock.json
# mypy checks the layers that hold the rules: services, selectors, the policy engine,
# money and domain events.
MYPY_TARGETS := config agents core/events.py core/money.py core/outbox.py core/replicas.py core/media.py core/storage.py core/web/media.py accounts/media.py licensing/media.py marketplace/media.py dashboard/compliance.py $(wildcard */services.py */services_*.py */selectors.py */selectors_*.py */services */selectors */policy)

.PHONY: help install install-dev run test test-fast test-slow lint format bench bench-data clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@ $(STAMP_RUN)

# axe-core, which the browser tests inject into each page they check (package.json).
$(STAMP_NPM): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(STAMP_RUN) ## Create .venv and install the app

install-dev: $(STAMP_DEV) $(STAMP_NPM) ## Install the app with test and lint tools (and axe-core from npm)

run: install ## Migrate, seed demo data, start web + worker + beat on http://127.0.0.1:8000/ and the MCP server on :8001
	@mkdir -p var/celery/queue var/celery/control var/celery/processed var/celery/results var/cache var/staticfiles
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py read_models_rebuild
	$(BIN)/python manage.py provenance_keys
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "  Cocreate is starting on http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/)"
	@echo "  Database: $${DATABASE_URL:-SQLite in var/db.sqlite3}   Broker: $${REDIS_URL:-filesystem queue in var/celery}"
	@echo
	PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

# The tests come in two tiers (README, "Tests"): the fast one runs on TEST_PROCESSES
# processes (pytest-xdist, a module's tests on one process, so a world built once per
# module is built once), the slow one (browser, faults, fuzzing, real workers, the demo
# seed: marked `slow`) alone, since the faults restart servers and kill workers. Exit
# status 5 is "no test selected": PYTEST_ARGS may name only one tier's tests. test-fast keeps its test databases from one run to the next
# (new migrations are applied); PYTEST_ARGS=--create-db makes them afresh.
TEST_PROCESSES ?= 2
PYTEST_FAST := $(BIN)/pytest -m "not slow" -n $(TEST_PROCESSES) --dist loadscope $(PYTEST_ARGS)
PYTEST_SLOW := $(BIN)/pytest -m slow $(PYTEST_ARGS)

test: install-dev ## Run every test: the fast tier in parallel, then the slow tier (uses DATABASE_URL and REDIS_URL when set)
	@status=0; \
	$(PYTEST_FAST) || [ $$? -eq 5 ] || status=1; \
	$(PYTEST_SLOW) || [ $$? -eq 5 ] || status=1; \
	exit $$status

test-fast: install-dev ## Run the fast tier only (-m "not slow"), in parallel: the loop to run many times a day
	$(PYTEST_FAST) --reuse-db || [ $$? -eq 5 ]

test-slow: install-dev ## Run the slow tier only (-m slow)
	$(PYTEST_SLOW) || [ $$? -eq 5 ]

lint: install-dev ## ruff, import-linter (one-way apps), mypy on services/selectors, makemigrations --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache importlinter.ini
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy $(MYPY_TARGETS)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

format: install-dev ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmarks' databases (see bench/README.md): the scale data set that
# bench/make_data.py writes, one that bench/settlement.py empties and refills, and one
# for the pipeline benchmarks (migrated and seeded by them).
BENCH_SCALE_DB ?= postgres://postgres@127.0.0.1:5432/cocreate_scale
BENCH_SETTLE_DB ?= postgres://postgres@127.0.0.1:5432/cocreate_settle
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/cocreate_bench
SCALE ?= 1
BENCH_SCRIPTS := screening lookalike render broker_roundtrip pipeline generation_throughput \
	settlement lineage api_latency mcp_overhead

bench: install-dev ## Run every benchmark in bench/ (each prints its figures and baseline; long: not in CI)
	@for name in $(BENCH_SCRIPTS); do \
		case $$name in \
			settlement) db="$(BENCH_SETTLE_DB)" ;; \
			lineage|api_latency) db="$(BENCH_SCALE_DB)" ;; \
			*) db="$(BENCH_DB)" ;; \
		esac; \
		echo "== bench/$$name.py  (DATABASE_URL=$$db)"; \
		DATABASE_URL="$$db" $(BIN)/python bench/$$name.py || exit 1; \
	done

bench-data: install ## Fill BENCH_SCALE_DB with the scale data set (SCALE=1 is the full set; FLUSH=1 empties it first)
	$(BIN)/python bench/make_data.py --database $(BENCH_SCALE_DB) --scale $(SCALE) $(if $(FLUSH),--flush)

clean: ## Remove local state: SQLite database, broker queue, media (keeps .venv)
	rm -rf var
