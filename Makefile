# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DB := instance/social-services.sqlite3
export DATABASE_URL ?= sqlite:///$(CURDIR)/$(DB)

.PHONY: run serve test lint format openapi load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The package and its dependencies; dev extras for the tests.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

# The embedded database, rebuilt from scratch whenever data/ or the models change.
$(DB): $(wildcard data/*.yaml) api/models.py $(VENV)/.installed
	mkdir -p $(dir $(DB))
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BIN)/flask --app wsgi data load

load: $(DB)

run: $(DB)
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --access-logfile - wsgi:app

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# openapi.yaml is generated from the code; a test fails when they drift.
openapi: $(VENV)/.installed
	$(BIN)/flask --app wsgi openapi write --format=yaml openapi.yaml

clean:
	rm -rf $(VENV) instance build .pytest_cache .ruff_cache
