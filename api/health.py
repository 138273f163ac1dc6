"""Health endpoints for operators, load balancers and monitoring.

``/healthz`` is *liveness*: the process answers and its database is reachable (503 if not). It
also reports every background worker's heartbeat and which are late, but a late worker does not
make it fail: restarting an API process, which is what a failed liveness check leads to, cannot
revive a worker; monitoring alerts on ``status: degraded`` instead.

``/readyz`` is *readiness*: whether this machine should be given traffic. 503 when the database
is unreachable, its schema is not the revision this code needs, or — when workers are expected
(``KHUMKRONG_EXPECT_WORKERS``) — no worker has completed a pass within its allowance, because
then deadlines silently stop escalating while the pages look fine; and when more outbox
messages are due and unsent than ``KHUMKRONG_READY_OUTBOX_BACKLOG``, because then notices of new
work and escalations are not reaching people.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import AuthClockDep, SessionDep
from api.problems import errors, problem
from engine.backlog import mail_due
from engine.heartbeats import WorkerHealth, late_after, worker_health
from engine.migrations import head_revision
from engine.settings import Settings


def _worker(health: WorkerHealth) -> dict[str, Any]:
    return {
        "name": health.name,
        "interval_seconds": health.interval_seconds,
        "late_after_seconds": late_after(health.interval_seconds).total_seconds(),
        "started_at": health.started_at.isoformat(),
        "last_pass_at": health.last_pass_at.isoformat() if health.last_pass_at else None,
        "last_pass_seconds": health.last_pass_seconds,
        "failed_passes": health.failed_passes,
        "late": health.late,
    }


def install_health(app: FastAPI, settings: Settings) -> None:
    head = head_revision()

    def database_problem(exc: Exception) -> JSONResponse:
        return problem(503, "database unavailable", f"{type(exc).__name__}: {exc}".splitlines()[0], code="database-unavailable")

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process and its database; workers reported",
             responses=errors(503))
    def healthz(session: SessionDep, clock: AuthClockDep) -> Any:
        try:
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        except Exception as exc:  # noqa: BLE001 - any database failure makes the service unhealthy
            return database_problem(exc)
        if revision is None:
            return problem(503, "database not migrated", "the schema has no Alembic revision", code="database-unmigrated")
        try:
            workers = worker_health(session=session, now=clock.now())
        except Exception:  # noqa: BLE001 - a schema from before heartbeats: nothing to report
            session.rollback()
            workers = []
        late = [w.name for w in workers if w.late]
        return JSONResponse({
            "status": "degraded" if late else "ok", "database": "ok", "schema_revision": revision,
            "workers": [_worker(w) for w in workers], "late_workers": late,
        })

    @app.get("/readyz", tags=["operations"], summary="Readiness: database, schema at head, a worker getting through its passes",
             responses=errors(503))
    def readyz(session: SessionDep, clock: AuthClockDep) -> Any:
        try:
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
            workers = worker_health(session=session, now=clock.now()) if revision == head else []
            unsent = mail_due(session=session, now=clock.now()) if revision == head else 0
        except Exception as exc:  # noqa: BLE001
            return database_problem(exc)
        if revision != head:
            return problem(503, "database not at this code's schema", f"the schema is at {revision!r}, this code needs {head!r}",
                           code="schema-not-at-head", schema_revision=revision, expected_revision=head)
        on_time = [w.name for w in workers if not w.late]
        if settings.expect_workers and not on_time:
            return problem(
                503, "no worker is getting through its passes",
                "no background worker has completed a pass within its allowance, so deadlines are not being fired",
                code="workers-late", workers=[_worker(w) for w in workers],
            )
        if unsent > settings.ready_outbox_backlog:
            return problem(
                503, "notices are not being sent",
                f"{unsent} outbox messages are due and unsent (more than {settings.ready_outbox_backlog})",
                code="outbox-backlog", outbox_due=unsent, threshold=settings.ready_outbox_backlog,
            )
        return JSONResponse({"status": "ready", "schema_revision": revision, "workers_on_time": on_time,
                             "workers_expected": settings.expect_workers, "outbox_due": unsent})
