# Jixiao — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
export HOST PORT

.PHONY: setup run serve test test-pg lint bench migrate deploy seed clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/jixiao db upgrade

deploy: migrate
	$(BIN)/jixiao deploy workflows

## Set everything up and serve on http://$(HOST):$(PORT) with SQLite (instance/jixiao.sqlite3).
run: deploy
	$(BIN)/jixiao seed --demo
	$(BIN)/jixiao worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/jixiao serve --host $(HOST) --port $(PORT)

## Set everything up and run the suite (SQLite; set JIXIAO_TEST_DATABASE_URL for PostgreSQL).
test: setup
	$(BIN)/pytest

## The suite against the local PostgreSQL, on a fresh database.
test-pg: setup
	psql -h 127.0.0.1 -U postgres -d postgres -q -c "DROP DATABASE IF EXISTS jixiao_test" -c "CREATE DATABASE jixiao_test"
	JIXIAO_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/jixiao_test $(BIN)/pytest

lint: setup
	$(BIN)/ruff check service workers tests bench migrations/env.py

## Performance figures (printed, never asserted): see README, "Performance".
bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance *.egg-info
