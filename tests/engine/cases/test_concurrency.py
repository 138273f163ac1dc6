"""Two people completing the same work item at the same moment: exactly one wins."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands, stepping
from engine.cases.models import Case, WorkItem
from engine.errors import Conflict
from engine.people.actors import Actor
from engine.people.models import User
from tests.conftest import START
from tests.engine.cases.test_commands import publish_reference

RACES = 5


def _users(factory):
    with factory() as session:
        actors = []
        for name in ("race.one", "race.two", "race.policy"):
            role = "policy" if name.endswith("policy") else "case_worker"
            user = User(username=name, display_name=name, role_code=role,
                        agency_code=None if role == "policy" else "spm_tak", active=True, created_at=START)
            session.add(user)
            session.commit()
            actors.append(Actor.of(user))
        return actors


def _race(factory, network, clock, monkeypatch):
    one, two, policy = _users(factory)
    with factory() as session:
        publish_reference(session, network, clock, policy)
        cases = [
            commands.start_case(session=session, protocol_key="reference", data={}, actor=one, clock=clock, network=network).id
            for _ in range(RACES)
        ]
        items = [session.scalar(select(WorkItem.id).where(WorkItem.case_id == c)) for c in cases]

    # Widen the window between reading the case and writing it, so the two commands overlap
    # (whether the workflow comes from the process's cache of live workflows or is rebuilt).
    real_workflow_of = stepping.workflow_of

    def slow_workflow_of(*args, **kwargs):
        time.sleep(0.05)
        return real_workflow_of(*args, **kwargs)

    monkeypatch.setattr(stepping, "workflow_of", slow_workflow_of)

    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(item_id, actor, severity, barrier):
        barrier.wait()
        with factory() as session:
            try:
                commands.complete(session=session, work_item_id=item_id, data={"severity": severity}, actor=actor, clock=clock, network=network)
                result = f"won:{severity}"
            except Conflict:
                result = "conflict"
        with lock:
            outcomes.append((item_id, result))

    for item_id in items:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=attempt, args=(item_id, one, "high", barrier)),
            threading.Thread(target=attempt, args=(item_id, two, "low", barrier)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    with factory() as session:
        for case_id, item_id in zip(cases, items, strict=True):
            results = sorted(r for i, r in outcomes if i == item_id)
            assert len(results) == 2 and results[0] == "conflict" and results[1].startswith("won:"), results
            winner = results[1].split(":")[1]
            item = session.get(WorkItem, item_id)
            assert item.state == "completed"
            # The case moved on exactly once, along the winner's branch.
            live = session.scalars(select(WorkItem.task_name).where(WorkItem.case_id == case_id, WorkItem.state == "open")).all()
            assert live == (["assess"] if winner == "high" else ["file_report"])
            completions = session.scalar(
                select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.work_item_id == item_id, AuditEvent.action == "work_item.completed"
                )
            )
            assert completions == 1
            # The stored workflow agrees with the work items: the next step can be completed.
            next_item = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.state == "open"))
            actor = two if winner == "low" else None
            if actor is not None:
                commands.complete(session=session, work_item_id=next_item, data={}, actor=actor, clock=clock, network=network)
                assert session.get(Case, case_id).status == "completed"


@pytest.mark.postgres
def test_concurrent_completion_on_postgresql(postgres_session_factory, network, clock, monkeypatch):
    _race(postgres_session_factory, network, clock, monkeypatch)


def test_concurrent_completion_on_configured_database(session_factory, network, clock, monkeypatch):
    from engine.network.service import sync_network

    with session_factory() as session:
        sync_network(session=session, network=network)
        session.commit()
    _race(session_factory, network, clock, monkeypatch)
