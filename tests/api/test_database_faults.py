"""A database fault that passes (a lock, a dropped connection) is a 503 the client may retry; one
that will happen again (a missing table) is a 500, never an invitation to retry for ever."""
from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from api.problems import install_problem_handlers, passing_database_fault


class _DriverError(Exception):
    pass


def _fault(text: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, _DriverError(text))


@pytest.mark.parametrize(("text", "passing"), [
    ("database is locked", True),
    ("canceling statement due to lock timeout", True),
    ("deadlock detected", True),
    ("could not serialize access due to concurrent update", True),
    ("server closed the connection unexpectedly", True),
    ("no such table: users", False),
    ("no such column: cases.unit_code", False),
])
def test_which_faults_pass(text, passing):
    assert passing_database_fault(_fault(text)) is passing


def test_the_answers(monkeypatch):
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/fault/{kind}")
    def fault(kind: str) -> None:
        raise _fault("database is locked" if kind == "lock" else "no such table: users")

    with TestClient(app, raise_server_exceptions=False) as client:
        busy, broken = client.get("/fault/lock"), client.get("/fault/schema")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert broken.status_code == 500 and "retry-after" not in broken.headers
    assert "users" not in broken.text  # internals are logged, never echoed
