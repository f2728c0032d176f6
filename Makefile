# Jixiao — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000
export HOST PORT

.PHONY: setup run serve test test-pg lint bench soak migrate deploy seed clean assets chromium docs

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

## Front-end libraries (bpmn-js, its Camunda properties panel, Chart.js) from npm, pinned by package-lock.json,
## copied into $(VENDOR) (git-ignored); the modeler's modelling advice (bpmn-js-bpmnlint with bpmnlint's rules and
## .bpmnlintrc) bundled by esbuild from service/web/static_src/designer-lint.js. Without npm the pages still work, with a notice instead of diagrams.
VENDOR := service/web/static/vendor
NPM    := $(shell command -v npm 2>/dev/null)
assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json .bpmnlintrc service/web/static_src/designer-lint.js
ifeq ($(NPM),)
	@echo "make assets: npm not found - pages work without diagrams and charts (a notice is shown instead)"
else
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bpmn-font
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
	   node_modules/bpmn-js/dist/bpmn-modeler.production.min.js \
	   node_modules/bpmn-js/dist/assets/diagram-js.css node_modules/bpmn-js/dist/assets/bpmn-js.css \
	   node_modules/bpmn-js-properties-panel/dist/bpmn-js-properties-panel.umd.js \
	   node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css \
	   node_modules/camunda-bpmn-moddle/resources/camunda.json \
	   node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	cp -r node_modules/bpmn-js/dist/assets/bpmn-font/css node_modules/bpmn-js/dist/assets/bpmn-font/font $(VENDOR)/bpmn-font/
	cp node_modules/bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css $(VENDOR)/
	node_modules/.bin/esbuild service/web/static_src/designer-lint.js --bundle --minify --format=iife --target=es2019 \
	   --loader:.bpmnlintrc=json --log-level=warning --outfile=$(VENDOR)/designer-lint.js
	touch $@
endif

## Debian's Chromium for the browser tests (tests/service/web), and a Chinese font for legible screenshots; never a
## browser download of Playwright's own.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
chromium:
	@{ test -x /usr/bin/chromium && test -e $(CJK_FONT); } || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei; }; } || \
	  echo "WARNING: /usr/bin/chromium is missing and could not be installed: the browser tests will be SKIPPED"

migrate: setup
	$(BIN)/jixiao db upgrade

deploy: migrate
	$(BIN)/jixiao deploy workflows

## Set everything up and serve on http://$(HOST):$(PORT) with SQLite (instance/jixiao.sqlite3): gunicorn with the
## settings of service/gunicorn_conf.py (gthread, one worker per core), as in production, and one worker beside it.
## The schema, models, organisation and rule rows are in place before gunicorn starts; the first page
## answers at once while the demo municipality is built beside it (a progress bar here and on the pages), and the
## worker starts when the demo is done (its timers must not fire at today's date while the demo moves its clock).
run:
	@$(MAKE) --no-print-directory -j2 deploy assets  # the Python and the npm installs side by side
	$(BIN)/jixiao seed
	@$(BIN)/jixiao serve --host $(HOST) --port $(PORT) & server=$$!; worker=; \
	trap 'kill $$server $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	echo "jixiao: http://$(HOST):$(PORT)/login answers now; the demo municipality is built beside it"; \
	$(BIN)/jixiao seed --demo || echo "jixiao: the demo could not be built (see above); serving without it"; \
	$(BIN)/jixiao worker & worker=$$!; wait $$server

## Set everything up and run the suite (SQLite; set JIXIAO_TEST_DATABASE_URL for PostgreSQL) in pytest-xdist
## workers, one more than the cores (the suite also waits on Chromium, gunicorn and worker processes, SMTP: on this
## 2-core machine 3 workers took 242-275 s where 2 took 300 s), each with its own database (tests/conftest.py,
## `database_url`); a test module stays in one worker (--dist loadfile: a module-scoped fixture is built once, and the
## OpenAPI module's closing check sees every call the module made). PYTEST_WORKERS=0 runs it in one process.
## Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: without it every worker compiles the project's
## modules and rewrites the asserts of every module of pytest's plugins again (collecting the suite took 20 CPU
## seconds per worker instead of 10).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile
test: setup assets chromium
	$(PYTEST)

## The suite against the local PostgreSQL, on a fresh database (each worker makes its own beside it).
test-pg: setup assets chromium
	psql -h 127.0.0.1 -U postgres -d postgres -q -c "DROP DATABASE IF EXISTS jixiao_test" -c "CREATE DATABASE jixiao_test"
	JIXIAO_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/jixiao_test $(PYTEST)

## ruff and mypy over the Python, and bpmnlint (recommended rules, .bpmnlintrc: fake joins and fork-join gateways are errors)
## over the models, from node_modules as `make assets` installed it (no network at lint time).
lint: setup assets
	$(BIN)/ruff check service workers tests bench migrations/env.py
	$(BIN)/mypy
	node_modules/.bin/bpmnlint workflows/*.bpmn

## Generated documentation: the deadline catalogue in docs/CYCLE.md, from the models (checked by the tests).
docs: setup
	$(BIN)/jixiao docs deadlines

## Performance figures (printed, never asserted): see README, "Performance".
bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance *.egg-info

## Soak (printed, never asserted on timing): 4 clients for 10 minutes against gunicorn on PostgreSQL with a worker;
## errors must be 0 and memory flat. SOAK_ARGS="--seconds 60" for a short run. See bench/soak.py.
soak: setup
	$(BIN)/python -m bench.soak $(SOAK_ARGS)
