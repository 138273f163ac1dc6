"""Several workers ticking at once fire every due timer exactly once."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.deadlines.tick import tick
from engine.network.service import sync_network
from engine.people.actors import Actor
from engine.people.models import User
from tests.conftest import START
from tests.engine.cases.test_commands import publish_reference

CASES = 40
WORKERS = 3


def _sweep(factory, network, clock):
    with factory() as session:
        sync_network(session=session, network=network)
        worker = User(username="tick.worker", display_name="w", role_code="case_worker", agency_code="spm_tak", active=True, created_at=START)
        policy = User(username="tick.policy", display_name="p", role_code="policy", active=True, created_at=START)
        session.add_all([worker, policy])
        session.commit()
        worker, policy = Actor.of(worker), Actor.of(policy)
        publish_reference(session, network, clock, policy)
        case_ids = []
        for _ in range(CASES):
            case = commands.start_case(session=session, protocol_key="reference", data={}, actor=worker, clock=clock, network=network)
            report = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id))
            commands.complete(session=session, work_item_id=report, data={"severity": "high"}, actor=worker, clock=clock, network=network)
            case_ids.append(case.id)

    clock.advance(timedelta(hours=25))
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
