"""``khumkrong users`` end to end: the real command in a fresh process against the test database,
and the HTTP app answering the people it manages.

A fresh process matters: the test process has every model imported already, so a command that
works here may still crash when an administrator runs it (it did: issue 9, item 4).
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.people import auth
from engine.settings import Settings
from tests.api.conftest import API

PASSWORD = "correct horse battery"
NEW_PASSWORD = "another long passphrase"


def khumkrong(database_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``khumkrong`` command line in a new Python process."""
    return subprocess.run(
        [sys.executable, "-c", "from api.cli import app; app()", *args, "--database-url", database_url],
        input=stdin, capture_output=True, text=True, timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def client(database_url, session):
    """The app on the wall clock, like the command line."""
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        yield client


def _login(client: TestClient, username: str, password: str):
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def _signed_in(client: TestClient, username: str, password: str) -> tuple[dict[str, str], str]:
    """A session cookie and a personal token made from it."""
    client.cookies.clear()
    assert _login(client, username, password).status_code == 200
    cookies = dict(client.cookies)
    token = client.post(f"{API}/auth/tokens", json={"name": "script"})
    assert token.status_code == 201, token.text
    client.cookies.clear()
    return cookies, token.json()["token"]


def _works(client: TestClient, cookies: dict[str, str], token: str) -> tuple[int, int]:
    client.cookies.clear()
    client.cookies.update(cookies)
    by_session = client.get(f"{API}/me").status_code
    client.cookies.clear()
    by_token = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code
    return by_session, by_token


def test_add_passwd_disable_unlock_and_list_run_end_to_end(database_url, client):
    name = "worker.spm_tak"
    added = ok(khumkrong(database_url, "users", "add", name, "--role", "case_worker", "--agency", "spm_tak",
                         "--password-stdin", stdin=PASSWORD + "\n"))
    assert f"added {name}" in added

    # A new password ends the sessions and tokens made with the old one, at once.
    cookies, token = _signed_in(client, name, PASSWORD)
    assert _works(client, cookies, token) == (200, 200)
    ok(khumkrong(database_url, "users", "passwd", name, "--password-stdin", stdin=NEW_PASSWORD + "\n"))
    assert _works(client, cookies, token) == (401, 401)
    assert _login(client, name, PASSWORD).status_code == 401

    # A locked-out name is unlocked by an administrator (the old password above was one failure).
    client.cookies.clear()
    for _ in range(auth.ACCOUNT_FAILURE_LIMIT - 1):
        assert _login(client, name, "a wrong guess").status_code == 401
    assert _login(client, name, NEW_PASSWORD).status_code == 429
    assert "locked" in ok(khumkrong(database_url, "users", "list"))
    ok(khumkrong(database_url, "users", "unlock", name))
    cookies, token = _signed_in(client, name, NEW_PASSWORD)

    # A leaver is disabled: the open session and the token stop working at the next request.
    assert _works(client, cookies, token) == (200, 200)
    ok(khumkrong(database_url, "users", "disable", name))
    assert _works(client, cookies, token) == (401, 401)
    assert _login(client, name, NEW_PASSWORD).status_code == 401
    assert ok(khumkrong(database_url, "users", "list")).split() == [name, "case_worker", "spm_tak", "disabled"]


def test_the_commands_fail_with_a_message_not_a_traceback(database_url, session):
    missing = khumkrong(database_url, "users", "disable", "nobody")
    assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr and "Traceback" not in missing.stderr
    short = khumkrong(database_url, "users", "add", "someone", "--role", "policy", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least" in short.stderr and "Traceback" not in short.stderr


def test_a_school_worker_is_added_with_their_school_and_a_wrong_school_is_refused(database_url, session):
    added = ok(khumkrong(database_url, "users", "add", "krit.takpit", "--role", "case_worker", "--agency", "spm_tak",
                         "--unit", "school_takpit", "--password-stdin", stdin=PASSWORD + "\n"))
    assert "spm_tak/school_takpit" in added
    listed = ok(khumkrong(database_url, "users", "list")).split()
    assert listed[:3] == ["krit.takpit", "case_worker", "spm_tak/school_takpit"]
    wrong = khumkrong(database_url, "users", "add", "nok.pmj", "--role", "case_worker", "--agency", "pmj_tak",
                      "--unit", "school_takpit", "--password-stdin", stdin=PASSWORD + "\n")
    assert wrong.returncode == 1 and "belongs to spm_tak" in wrong.stderr and "Traceback" not in wrong.stderr
    unknown = khumkrong(database_url, "users", "add", "nok.spm", "--role", "case_worker", "--agency", "spm_tak",
                        "--unit", "school_nowhere", "--password-stdin", stdin=PASSWORD + "\n")
    assert unknown.returncode == 1 and "not a unit of the network" in unknown.stderr
    assert "nok.pmj" not in ok(khumkrong(database_url, "users", "list"))


def test_a_command_on_a_database_without_tables_says_to_upgrade_it(tmp_path):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    done = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "users", "list", "--database-url", empty],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "khumkrong db upgrade" in done.stderr and "Traceback" not in done.stderr
