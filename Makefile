# Khumkrong — the two set-up commands are `make run` and `make test`; both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.app-installed
TEST_STAMP := $(VENV)/.test-installed

NODE_STAMP := node_modules/.package-lock.json

.PHONY: run test bench install clean web-assets browser messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(APP_STAMP)

install: $(APP_STAMP)

# Front-end packages (bpmn-js, htmx, Swagger UI, axe-core) from the npm registry at the versions
# in package-lock.json, into ./node_modules (served as static files; never committed). Without
# npm the app still runs; the diagram editor, htmx and /docs need these files.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else \
		echo "*** npm is missing: install Node.js 18 or newer with npm (Debian: apt-get install nodejs npm)," >&2; \
		echo "*** then run make again. Until then the diagram editor, htmx and /docs cannot load their scripts." >&2; \
	fi

web-assets: $(NODE_STAMP)

# Browser tests drive Debian's chromium with Thai fonts; install them when missing and possible.
# Without them the browser tests skip (and fail in CI), saying how to get them.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=th 2>/dev/null | grep -q .; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium and fonts-thai-tlwg for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg >/dev/null; \
		else \
			echo "browser tests will skip: install chromium and fonts-thai-tlwg (sudo apt-get install chromium fonts-thai-tlwg)" >&2; \
		fi; \
	fi

# Re-extract the pages' messages into api/locale/th (new ones appear untranslated; a test says so).
messages: $(TEST_STAMP)
	$(BIN)/python -m api.pages.catalogue

# Migrates ./var/khumkrong.db (created if missing), loads the Tak network, protocols, forms and
# demo accounts, and serves on 127.0.0.1:8000 with the background worker.
run: $(APP_STAMP) $(NODE_STAMP)
	$(BIN)/khumkrong serve --demo --host 127.0.0.1 --port 8000

# The engine's types (mypy), then every test; KHUMKRONG_DATABASE_URL=postgresql+psycopg://… runs
# them on PostgreSQL instead of SQLite. Tests that need a PostgreSQL server or chromium of their own
# skip, saying how to get them, when they are missing (CI, KHUMKRONG_CI=1, fails them instead).
test: $(TEST_STAMP) $(NODE_STAMP) browser
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

# Every scenario of bench/ on SQLite and on a fresh database of the local PostgreSQL server (started
# if it is down, as .ci/run does): a table, and bench/results.json. SCALE=national seeds ten million
# work items and drains 10,000 deadlines; BENCH_DATABASES=sqlite (or postgresql) runs one database.
SCALE ?= default
bench: $(TEST_STAMP)
	@if [ "$${BENCH_DATABASES:-both}" != sqlite ] && ! pg_isready -h 127.0.0.1 -p 5432 -q; then \
		echo "starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -n 1)" main start; \
		for _ in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; \
	fi
	$(BIN)/python -m bench --scale $(SCALE)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache node_modules
