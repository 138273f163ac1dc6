"""Issue 9 item 1, the worker depth: each worker records when it last completed a pass;
/healthz reports the workers and names the late ones (still 200: liveness), /readyz answers 503
when the database is unreachable or behind, or when workers are expected and none is on time."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text

from api.app import create_app
from engine import worker as worker_module
from engine.heartbeats import WorkerHeartbeat, pass_completed, worker_started
from engine.migrations import head_revision
from engine.notify.models import OutboxMessage
from engine.settings import Settings


def _now() -> datetime:
    # Heartbeats are on the wall clock, as the endpoints read them.
    return datetime.now(timezone.utc)


def _beats(session, **ages: timedelta) -> None:
    """A worker per keyword (15 s interval) whose last completed pass was that long ago."""
    for name, age in ages.items():
        worker_started(session=session, name=name, interval_seconds=15, now=_now() - age - timedelta(seconds=1))
        pass_completed(session=session, name=name, interval_seconds=15, now=_now() - age, seconds=0.2)


def _started(session, **ages: timedelta) -> None:
    """A worker per keyword that started that long ago and has completed no pass yet."""
    for name, age in ages.items():
        worker_started(session=session, name=name, interval_seconds=15, now=_now() - age)


def _client(database_url: str, *, expect_workers: bool) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url, expect_workers=expect_workers)))


def test_healthz_lists_the_workers_and_names_the_late_ones(database_url, session):
    _beats(session, on_time=timedelta(seconds=20), stuck=timedelta(minutes=10))
    with _client(database_url, expect_workers=True) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["late_workers"]) == ("degraded", ["stuck"])
    workers = {w["name"]: w for w in body["workers"]}
    assert (workers["on_time"]["late"], workers["stuck"]["late"]) == (False, True)
    assert workers["stuck"]["late_after_seconds"] == 60 and workers["on_time"]["last_pass_seconds"] == 0.2


def test_readyz_wants_one_worker_on_time_when_workers_are_expected(database_url, session):
    _beats(session, stuck=timedelta(minutes=10))
    _started(session, never_passed=timedelta(minutes=10))
    with _client(database_url, expect_workers=True) as client:
        late = client.get("/readyz")
        _beats(session, on_time=timedelta(seconds=5))
        ready = client.get("/readyz")
    assert late.status_code == 503
    assert late.headers["content-type"] == "application/problem+json"
    assert late.json()["type"].endswith("workers-late")
    assert sorted(w["name"] for w in late.json()["workers"]) == ["never_passed", "stuck"]
    assert ready.status_code == 200 and ready.json()["workers_on_time"] == ["on_time"]


def test_a_worker_that_has_only_just_started_is_not_late_yet(database_url, session):
    _started(session, starting=timedelta(seconds=5))
    with _client(database_url, expect_workers=True) as client:
        assert client.get("/readyz").status_code == 200


def test_readyz_without_expected_workers_checks_the_database_only(database_url, session):
    with _client(database_url, expect_workers=False) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schema_revision": head_revision(), "workers_on_time": [],
                               "workers_expected": False, "outbox_due": 0}


def test_readyz_refuses_while_the_outbox_backlog_is_over_its_threshold(database_url, session):
    due = _now() - timedelta(minutes=5)
    session.add_all([
        OutboxMessage(kind="test", dedupe_key=f"readyz-{n}", recipient_address="a@example.invalid", subject="s",
                      body_text="b", message_id=f"<readyz-{n}@khumkrong.invalid>", created_at=due, next_attempt_at=due + timedelta(days=n // 3))
        for n in range(6)
    ])
    session.commit()
    try:
        settings = Settings(database_url=database_url, ready_outbox_backlog=2)
        with TestClient(create_app(settings)) as client:
            refused = client.get("/readyz")
        with TestClient(create_app(settings.model_copy(update={"ready_outbox_backlog": 3}))) as client:
            ready = client.get("/readyz")
    finally:  # on PostgreSQL the tests share one migrated database
        session.execute(delete(OutboxMessage).where(OutboxMessage.dedupe_key.like("readyz-%")))
        session.commit()
    # Three are due now; the other three are for later days and do not count.
    assert refused.status_code == 503 and refused.json()["type"].endswith("outbox-backlog")
    assert refused.json()["outbox_due"] == 3
    assert ready.status_code == 200 and ready.json()["outbox_due"] == 3


def test_readyz_refuses_a_database_behind_the_code(database_url, session):
    session.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    session.commit()
    try:
        with _client(database_url, expect_workers=False) as client:
            response = client.get("/readyz")
            alive = client.get("/healthz")
    finally:  # on PostgreSQL the tests share one migrated database
        session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()})
        session.commit()
    assert response.status_code == 503 and response.json()["type"].endswith("schema-not-at-head")
    assert alive.status_code == 200  # alive, just not ready


def test_readyz_refuses_when_the_database_is_gone(tmp_path):
    with _client(f"sqlite:///{tmp_path / 'empty.db'}", expect_workers=False) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["type"].endswith("database-unavailable")


def test_the_worker_records_its_passes_and_removes_its_row_when_stopped(session_factory, network, clock, monkeypatch):
    seen: list[tuple] = []
    stop = threading.Event()
    passes = iter([RuntimeError("the database went away"), None])

    real_work_once = worker_module.work_once

    def flaky_work_once(**kwargs):
        failure = next(passes)
        if failure is not None:
            raise failure
        return real_work_once(**kwargs)

    def on_pass(result, seconds):
        with session_factory() as session:
            row = session.get(WorkerHeartbeat, "w1")
            seen.append((result is not None, row.failed_passes, row.last_pass_at is not None))
        if len(seen) == 2:
            stop.set()

    monkeypatch.setattr(worker_module, "work_once", flaky_work_once)
    worker_module.run_worker(
        session_factory=session_factory, clock=clock, network=network, settings=Settings(), interval_seconds=0.01,
        stop=stop, on_pass=on_pass, name="w1",
    )

    assert seen == [(False, 1, False), (True, 0, True)]
    with session_factory() as session:
        assert session.scalars(select(WorkerHeartbeat)).all() == []


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_probes_are_in_the_openapi_document(database_url, path):
    with _client(database_url, expect_workers=False) as client:
        assert path in client.get("/openapi.json").json()["paths"]


def test_a_single_pass_is_a_heartbeat_that_stays(session_factory):
    """`worker --once`, run by a timer: one row per machine, left for the next run."""
    for seconds in (0.5, 0.7):
        worker_module.record_single_pass(session_factory=session_factory, interval_seconds=60, seconds=seconds)
    with session_factory() as session:
        [row] = session.scalars(select(WorkerHeartbeat)).all()
    assert row.name.endswith(":once") and (row.interval_seconds, row.last_pass_seconds) == (60, 0.7)
