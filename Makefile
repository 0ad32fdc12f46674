# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DB := instance/social-services.sqlite3
export DATABASE_URL ?= sqlite:///$(CURDIR)/$(DB)

.PHONY: run serve serve-command test test-postgres migrate lint format openapi examples load clean bench bench-load bench-longtail bench-dump lint-spec sdk lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The locked dependencies (hash-pinned; `make lock` writes them from pyproject.toml), then the
# package itself without dependencies: a fresh clone gets exactly the locked versions, and a
# changed lock reinstalls. requirements.lock to run, requirements-dev.lock (its superset, with
# the dev extras) for the tests.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@ $(VENV)/.installed

# Rewrite both locks from pyproject.toml with uv (a dev extra), for Python 3.11 on Linux. Pins
# that still satisfy pyproject.toml are kept; `make lock UPGRADE="flask-smorest ..."` moves the
# named packages to their newest allowed versions, `UPGRADE=all` every package. The runtime
# lock takes the dev lock's pins.
LOCK := $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--python-platform linux --custom-compile-command "make lock" \
	$(if $(filter all,$(UPGRADE)),--upgrade,$(foreach name,$(UPGRADE),--upgrade-package $(name)))

lock: $(VENV)/.installed-dev
	$(LOCK) --extra dev --output-file requirements-dev.lock
	$(LOCK) --constraints requirements-dev.lock --output-file requirements.lock

# The embedded database, rebuilt from scratch whenever data/ or the models change, and its
# dumps built ahead (requests build them when missing anyway).
$(DB): $(wildcard data/*.yaml) api/store/models.py $(VENV)/.installed
	mkdir -p $(dir $(DB))
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BIN)/flask --app wsgi data load
	$(BIN)/flask --app wsgi dumps build

load: $(DB)

# Bring the database at DATABASE_URL (SQLite or postgresql+psycopg://...) to the newest schema.
migrate: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade

# The server `make run` starts, less its --bind: gunicorn, 2 workers of 4 threads each, the
# access log on stdout. Threaded workers keep telling the master they are alive while they
# answer, so the worker timeout (30 s) never cuts off a long download; a sync worker is killed by
# it mid-file. tests/test_dumps_server.py starts exactly this command (`make -s serve-command`),
# and `make bench` measures the dump through it.
SERVER := $(BIN)/gunicorn --workers 2 --worker-class gthread --threads 4 --limit-request-line 8190 \
	--access-logfile - wsgi:app

run: $(DB)
	$(SERVER) --bind $(HOST):$(PORT)

serve-command:
	@echo '$(SERVER) --bind $(HOST):$(PORT)'

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

# The suite again on PostgreSQL: the server at TEST_DATABASE_URL if set, else a throwaway
# cluster (.ci/postgres.sh: initdb + pg_ctl on 127.0.0.1:5433, needs the `postgresql` package).
# A server that cannot be reached fails the run. The browser and SDK tests and the slow status
# property tests are SQLite-only (tests/conftest.py: SQLITE_ONLY_MODULES).
PG_RUNNER := $(if $(TEST_DATABASE_URL),,.ci/postgres.sh)
test-postgres: $(VENV)/.installed-dev
	$(PG_RUNNER) env REQUIRE_SYSTEM_TESTS=1 $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# openapi.yaml is generated from the code; a test fails when they drift.
openapi: $(VENV)/.installed
	$(BIN)/flask --app wsgi openapi write --format=yaml openapi.yaml

# The spec's response examples: real answers over the shipped data (api/web/examples.py), then
# the spec with them. Run it when data/ or an answer changes (tests/test_examples.py says so).
examples: $(VENV)/.installed
	$(BIN)/python -c 'from api import create_app; from api.web import examples; examples.write(create_app)'
	$(MAKE) openapi

# Node tools pinned in tests/sdk/package-lock.json: the spec linters, openapi-typescript, tsc.
SDK_DIR := tests/sdk
NODE_BIN := $(SDK_DIR)/node_modules/.bin
SPEC ?= openapi.yaml
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
TSC_FLAGS := --strict --target es2022 --module commonjs --types node \
	--typeRoots $(SDK_DIR)/node_modules/@types

$(SDK_DIR)/node_modules/.installed: $(SDK_DIR)/package.json $(SDK_DIR)/package-lock.json
	npm ci --prefix $(SDK_DIR) --no-audit --no-fund
	touch $@

# Redocly (recommended rules) and Spectral (spectral:oas) on the committed spec: no errors.
# `SPEC=other.yaml` lints or generates from another file.
lint-spec: $(SDK_DIR)/node_modules/.installed
	$(NODE_BIN)/redocly lint $(SPEC) --config $(SDK_DIR)/redocly.yaml
	$(NODE_BIN)/spectral lint $(SPEC) --ruleset $(SDK_DIR)/.spectral.yaml

# Client SDKs from openapi.yaml: a Python package (openapi-python-client) in build/sdk/python,
# TypeScript types (openapi-typescript) with a typed example, checked by tsc, in
# build/sdk/typescript.
sdk: $(VENV)/.installed-dev $(SDK_DIR)/node_modules/.installed
	rm -rf build/sdk
	mkdir -p build/sdk/typescript
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate --path $(SPEC) \
		--config $(SDK_DIR)/openapi-python-client.yaml --output-path build/sdk/python \
		--fail-on-warning
	$(NODE_BIN)/openapi-typescript $(SPEC) --output build/sdk/typescript/schema.d.ts
	cp $(SDK_DIR)/example.ts build/sdk/typescript/
	$(NODE_BIN)/tsc $(TSC_FLAGS) --outDir build/sdk/typescript build/sdk/typescript/example.ts
	@echo "Python: pip install ./build/sdk/python  TypeScript: build/sdk/typescript/schema.d.ts"

clean:
	rm -rf $(VENV) instance build .pytest_cache .ruff_cache $(SDK_DIR)/node_modules

# Benchmarks (separate from the tests), on a generated dataset of 100,000 units (UNITS= to
# change) in bench/.data/: `make bench` runs the repeated requests, the long tail and the
# in-process NDJSON dump, then prints every target as MET or MISSED (bench/.data/results.json).
# DURATION= sets wrk's seconds a scenario; ITEMS= the distinct units of the long tail (20,000).
BENCH_ARGS = --units $(or $(UNITS),100000) $(if $(DURATION),--duration $(DURATION))

bench: bench-load bench-longtail bench-dump
	$(BIN)/python bench/report.py

# The load benchmark: gunicorn (2 sync workers) with wrk repeating one URL a scenario, against a
# bare WSGI baseline. Installs wrk from Debian (apt-get) when it is missing.
bench-load: $(VENV)/.installed-dev
	$(BIN)/python bench/load_bench.py $(BENCH_ARGS)

# Requests nobody asked before (distinct items, statuses, a crawl of pages), against the bare
# WSGI app serving the same bytes and Datasette, the whole dump through `make run`'s server, and
# repeats through nginx (deploy/nginx.conf) in front of it against the same nginx serving the
# same bytes as files. Installs wrk and nginx from Debian (apt-get) when they are missing.
bench-longtail: $(VENV)/.installed-dev
	$(BIN)/python bench/longtail_bench.py $(BENCH_ARGS) $(if $(ITEMS),--items $(ITEMS)) \
		--server-command "$(SERVER)"

# The full NDJSON dump of units: its time, throughput and peak memory growth.
bench-dump: $(VENV)/.installed-dev
	$(BIN)/python bench/dump_bench.py --units $(or $(UNITS),100000)
