"""The claim and completion path over HTTP: each request is one transaction, the command's, and
its answer is built from the rows the command holds, without asking the database again after
the commit (which would take a pooled connection and open a second transaction); the answer
still names the case, its protocol and the assignee exactly as a fresh read does."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from engine.cases import commands
from engine.cases.models import WorkItem
from tests.api.conftest import API
from tests.engine.cases.test_commands import publish_reference

SUMMARY_FIELDS = ("id", "state", "case_id", "case_reference", "protocol", "assignee_id", "assignee_username")


@pytest.fixture
def reference(session, network, clock, staff, reference_forms):
    publish_reference(session, network, clock, staff["policy"].actor)


@contextmanager
def database_traffic(app, *, whole: bool = False) -> Iterator[list[str]]:
    """What the app's engine does meanwhile, in order: each statement's verb (``whole``: its text,
    on one line), BEGIN, COMMIT, ROLLBACK."""
    engine = app.state.wiring.db
    seen: list[str] = []

    def statement(_conn, _cursor, text, _params, _context, _many) -> None:
        seen.append(" ".join(text.split()) if whole else text.split(None, 1)[0].upper())

    listeners = [("before_cursor_execute", statement), ("begin", lambda _conn: seen.append("BEGIN")),
                 ("commit", lambda _conn: seen.append("COMMIT")), ("rollback", lambda _conn: seen.append("ROLLBACK"))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def _one_transaction(seen: list[str]) -> None:
    assert seen.count("BEGIN") == 1 and seen.count("COMMIT") == 1, seen
    assert seen[-1] == "COMMIT", f"the database was asked again after the commit: {seen}"


def _start(session, clock, network, staff) -> WorkItem:
    case = commands.start_case(session=session, protocol_key="reference", data={"channel": "school"},
                               actor=staff["worker.spm_tak"].actor, clock=clock, network=network)
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assert item is not None
    return item


def test_claim_and_complete_answer_from_the_command_in_one_transaction(app, client, session, clock, network, staff, reference):
    item = _start(session, clock, network, staff)
    worker = staff["worker.spm_tak"]
    # The token's "last used" moment is written at most once a minute: this first request does it.
    assert client.get(f"{API}/tasks/{item.id}", headers=worker.headers).status_code == 200

    with database_traffic(app) as seen:
        claimed = client.post(f"{API}/tasks/{item.id}/claim", headers=worker.headers)
    assert claimed.status_code == 200, claimed.text
    _one_transaction(seen)
    fresh = client.get(f"{API}/tasks/{item.id}", headers=worker.headers).json()
    assert claimed.json()["state"] == "claimed" and claimed.json()["assignee_username"] == "worker.spm_tak"
    assert {f: claimed.json()[f] for f in SUMMARY_FIELDS} == {f: fresh[f] for f in SUMMARY_FIELDS}

    with database_traffic(app) as seen:
        completed = client.post(f"{API}/tasks/{item.id}/complete", headers=worker.headers, json={"data": {"severity": "low"}})
    assert completed.status_code == 200, completed.text
    _one_transaction(seen)
    fresh = client.get(f"{API}/tasks/{item.id}", headers=worker.headers).json()
    assert completed.json()["state"] == "completed" and completed.json()["protocol"] == "reference"
    assert {f: completed.json()[f] for f in SUMMARY_FIELDS} == {f: fresh[f] for f in SUMMARY_FIELDS}


def test_an_answer_names_someone_else_as_assignee(client, session, clock, network, staff, reference):
    """A supervisor assigns a task: the assignee is not the one asking, and the answer names them."""
    item = _start(session, clock, network, staff)
    supervisor = staff["supervisor.spm_tak"]
    assigned = client.put(f"{API}/tasks/{item.id}/assignee", headers=supervisor.headers,
                          json={"assignee_id": staff["worker.spm_tak"].id})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee_username"] == "worker.spm_tak"
    fresh = client.get(f"{API}/tasks/{item.id}", headers=supervisor.headers).json()
    assert {f: assigned.json()[f] for f in SUMMARY_FIELDS} == {f: fresh[f] for f in SUMMARY_FIELDS}


def test_a_claim_lost_to_someone_else_is_a_conflict_and_changes_nothing(client, session, clock, network, staff, reference):
    item = _start(session, clock, network, staff)
    first = client.post(f"{API}/tasks/{item.id}/claim", headers=staff["worker.spm_tak"].headers)
    assert first.status_code == 200
    second = client.post(f"{API}/tasks/{item.id}/claim", headers=staff["supervisor.spm_tak"].headers)
    assert second.status_code == 409 and second.json()["status"] == 409
    session.expire_all()
    held = session.get(WorkItem, item.id)
    assert held is not None and held.state == "claimed" and held.assignee_id == staff["worker.spm_tak"].id


def test_a_completion_writes_the_case_row_once_and_asks_nothing_twice(app, client, session, clock, network, staff, reference):
    """A completion that makes the next task: the case row is written by one UPDATE, with its
    state and version (on SQLite the statement that locks it, ``UPDATE … RETURNING``, bumps the
    version first: reads there hold no lock), the new task's row needs no look-up first, and on
    PostgreSQL the command's audit events go in together (SQLite's RETURNING does not keep the
    rows' order, so SQLAlchemy inserts them one by one there)."""
    item = _start(session, clock, network, staff)
    worker = staff["worker.spm_tak"]
    assert client.post(f"{API}/tasks/{item.id}/claim", headers=worker.headers).status_code == 200

    with database_traffic(app, whole=True) as seen:
        completed = client.post(f"{API}/tasks/{item.id}/complete", headers=worker.headers, json={"data": {"severity": "low"}})
    assert completed.status_code == 200, completed.text
    _one_transaction([text.split(None, 1)[0].upper() for text in seen])
    on_cases = [text for text in seen if text.startswith(("UPDATE cases", "SELECT cases"))]
    audit_inserts = sum(text.startswith("INSERT INTO audit_events") for text in seen)
    if app.state.wiring.db.dialect.name == "postgresql":
        assert on_cases[0].startswith("SELECT cases") and on_cases[0].endswith("FOR NO KEY UPDATE"), on_cases
        assert audit_inserts == 1, seen
    else:
        assert on_cases[0].startswith("UPDATE cases") and "RETURNING" in on_cases[0], on_cases
        assert audit_inserts == 2, seen
    assert len(on_cases) == 2 and "state_json" in on_cases[1], on_cases
    assert not any(text.startswith("SELECT work_items.task_id") for text in seen), seen
    session.expire_all()
    assert session.scalars(select(WorkItem.state).where(WorkItem.case_id == item.case_id).order_by(WorkItem.id)).all() == [
        "completed", "open"]
