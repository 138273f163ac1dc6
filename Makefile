# Khumkrong — the two set-up commands are `make run` and `make test`; both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.app-installed
TEST_STAMP := $(VENV)/.test-installed

.PHONY: run test bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(APP_STAMP)

install: $(APP_STAMP)

# Migrates ./var/khumkrong.db (created if missing), loads the Tak network, protocols, forms and
# demo accounts, and serves on 127.0.0.1:8000 with the background worker.
run: $(APP_STAMP)
	$(BIN)/khumkrong serve --demo --host 127.0.0.1 --port 8000

# The engine's types (mypy), then every test; KHUMKRONG_DATABASE_URL=postgresql+psycopg://… runs
# them on PostgreSQL instead of SQLite. Tests that need a PostgreSQL server of their own skip, saying
# how to get one, when none answers (CI, KHUMKRONG_CI=1, fails them instead).
test: $(TEST_STAMP)
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
