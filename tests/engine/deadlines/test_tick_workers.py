"""Several workers ticking at once fire every due timer exactly once."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases.models import Case, WorkItem
from engine.deadlines.tick import tick
from tests.engine.deadlines.seeding import cases_due_together

CASES = 40
WORKERS = 3


def _sweep(factory, network, clock):
    case_ids = cases_due_together(factory, network, clock, CASES)
    reports = []
    barrier = threading.Barrier(WORKERS)

    def work():
        barrier.wait()
        with factory() as session:
            reports.append(tick(session=session, clock=clock, network=network))

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    with factory() as session:
        fired_events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.timers_fired")
        )
        follow_ups = session.scalars(
            select(WorkItem.case_id).where(WorkItem.task_name == "follow_up")
        ).all()
        pending = session.scalar(select(func.count()).select_from(Case).where(Case.next_timer_at.is_not(None)))
        errors = session.scalar(select(func.count()).select_from(Case).where(Case.status != "active"))
    assert sum(r.timers_fired for r in reports) == CASES
    assert fired_events == CASES
    assert sorted(follow_ups) == sorted(case_ids)
    assert pending == 0 and errors == 0
    assert not any(r.failed_case_ids for r in reports)
    return reports


@pytest.mark.postgres
def test_workers_share_the_sweep_on_postgresql(postgres_session_factory, network, clock):
    reports = _sweep(postgres_session_factory, network, clock)
    # SKIP LOCKED lets the workers split the work instead of queueing behind each other.
    assert sum(r.cases_examined for r in reports) >= CASES


@pytest.mark.slow
def test_workers_fire_each_timer_once_on_configured_database(session_factory, network, clock):
    _sweep(session_factory, network, clock)
