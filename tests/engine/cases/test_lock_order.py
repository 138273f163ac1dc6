"""Commands take their locks in one order, the case row first (issue 9, item 6).

Before, a completion held its case ``FOR UPDATE`` while a claim of the same task, having updated
the work item, inserted its audit row, whose foreign key waits for a share lock on the case; the
completion then waited for the work item: PostgreSQL found a deadlock and aborted one of them
(the claim answered 503); the worker's tick, raising a deadline's escalation on the work item,
crossed a claim the same way. Here the claim is made to arrive exactly in that window.
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.models import WorkItem
from engine.deadlines.tick import tick
from engine.errors import Conflict
from engine.network.service import sync_network
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols import service as protocols
from tests.bpmn_builders import with_timer
from tests.conftest import START
from tests.engine.cases.test_commands import publish_reference

ROUNDS = 3


def _users(factory) -> tuple[Actor, Actor, Actor]:
    with factory() as session:
        actors = []
        for name, role, agency in (("lock.one", "case_worker", "spm_tak"), ("lock.two", "case_worker", "spm_tak"),
                                   ("lock.policy", "policy", None)):
            user = User(username=name, display_name=name, role_code=role, agency_code=agency, active=True, created_at=START)
            session.add(user)
            session.commit()
            actors.append(Actor.of(user))
        return actors[0], actors[1], actors[2]


def _deadlocks(session) -> int | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    session.execute(text("SELECT pg_stat_clear_snapshot()"))
    found = session.scalar(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
    session.rollback()
    return int(found or 0)


def _assert_no_new_deadlocks(session, before: int | None) -> None:
    if before is not None:
        time.sleep(1.1)  # PostgreSQL publishes a backend's statistics at most once a second
        assert _deadlocks(session) == before


def _pause_restore_in(monkeypatch, thread_name: str) -> threading.Event:
    """The command in the named thread pauses once it holds its case (in the middle of its
    command), long enough for the other thread to run as far as it can; the event says when."""
    holding = threading.Event()
    real_restore = commands.restore

    def paused_restore(*args, **kwargs):
        if threading.current_thread().name == thread_name:
            holding.set()
            time.sleep(0.5)
        return real_restore(*args, **kwargs)

    monkeypatch.setattr(commands, "restore", paused_restore)
    return holding


def _run_together(**targets) -> None:
    threads = [threading.Thread(target=target, name=name) for name, target in targets.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


@pytest.fixture
def configured_factory(session_factory, network):
    with session_factory() as session:
        sync_network(session=session, network=network)
        session.commit()
    return session_factory


def _claim_while_completing(factory, network, clock, monkeypatch) -> None:
    one, two, policy = _users(factory)
    with factory() as session:
        publish_reference(session, network, clock, policy)
        session.commit()
        cases = [commands.start_case(session=session, protocol_key="reference", data={}, actor=one, clock=clock,
                                     network=network).id for _ in range(ROUNDS)]
        items = [session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id)) for case_id in cases]
        deadlocks_before = _deadlocks(session)

    completing = _pause_restore_in(monkeypatch, "complete")

    for item_id in items:
        completing.clear()
        outcomes: dict[str, str] = {}

        def complete(item_id=item_id, outcomes=outcomes) -> None:
            with factory() as session:
                try:
                    commands.complete(session=session, work_item_id=item_id, data={"severity": "low"}, actor=one,
                                      clock=clock, network=network)
                    outcomes["complete"] = "done"
                except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts
                    outcomes["complete"] = repr(exc)

        def claim(item_id=item_id, outcomes=outcomes) -> None:
            assert completing.wait(timeout=30)
            with factory() as session:
                try:
                    assignment.claim(session=session, work_item_id=item_id, actor=two, clock=clock)
                    outcomes["claim"] = "done"
                except Conflict:
                    outcomes["claim"] = "conflict"
                except Exception as exc:  # noqa: BLE001 - as above
                    outcomes["claim"] = repr(exc)

        _run_together(complete=complete, claim=claim)
        # The claim waited for the case and then found the task completed: no deadlock, no 503.
        assert outcomes == {"complete": "done", "claim": "conflict"}, outcomes

    with factory() as session:
        for item_id in items:
            item = session.get_one(WorkItem, item_id)
            assert item.state == "completed" and item.completed_by_id == one.user_id
        recorded = session.execute(
            select(AuditEvent.action, func.count()).where(AuditEvent.work_item_id.in_(items))
            .where(AuditEvent.action.in_(("work_item.completed", "work_item.claimed"))).group_by(AuditEvent.action)
        ).all()
        assert dict(recorded) == {"work_item.completed": ROUNDS}
        _assert_no_new_deadlocks(session, deadlocks_before)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_claim_during_a_completion_of_the_same_case_waits_instead_of_deadlocking_on_postgresql(
    postgres_session_factory, network, clock, monkeypatch
):
    _claim_while_completing(postgres_session_factory, network, clock, monkeypatch)


@pytest.mark.slow
def test_a_claim_during_a_completion_of_the_same_case_waits_on_the_configured_database(
    configured_factory, network, clock, monkeypatch
):
    _claim_while_completing(configured_factory, network, clock, monkeypatch)


def _claim_while_the_worker_fires_a_deadline(factory, network, clock, monkeypatch) -> None:
    """The worker holds the case and raises the deadline's escalation (which updates the work
    item) while someone claims that work item: before, the same crossing as above."""
    with factory() as session:
        policy = User(username="lock.policy", display_name="policy", role_code="policy", active=True, created_at=START)
        user = User(username="lock.worker", display_name="worker", role_code="case_worker", agency_code="pmj_tak",
                    active=True, created_at=START)
        session.add_all([policy, user])
        session.commit()
        worker = Actor.of(user)
        version, _ = protocols.store_draft(session=session, key="late", bpmn=with_timer("timeDuration", "PT1H"),
                                           network=network, clock=clock, actor=Actor.of(policy))
        protocols.publish(session=session, key="late", version=version.version, clock=clock, actor=Actor.of(policy))
        session.commit()
        case_id = commands.start_case(session=session, protocol_key="late", data={}, actor=worker, clock=clock,
                                      network=network).id
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id))
        deadlocks_before = _deadlocks(session)
    clock.advance(timedelta(hours=2))

    ticking = _pause_restore_in(monkeypatch, "tick")
    outcomes: dict[str, object] = {}

    def run_tick() -> None:
        with factory() as session:
            outcomes["tick"] = tick(session=session, clock=clock, network=network).timers_fired

    def claim() -> None:
        assert ticking.wait(timeout=30)
        with factory() as session:
            try:
                assignment.claim(session=session, work_item_id=item_id, actor=worker, clock=clock)
                outcomes["claim"] = "done"
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts
                outcomes["claim"] = repr(exc)

    _run_together(tick=run_tick, claim=claim)
    # The deadline fired once and the claim, having waited for the case, took the task.
    assert outcomes == {"tick": 1, "claim": "done"}, outcomes
    with factory() as session:
        item = session.get_one(WorkItem, item_id)
        assert (item.state, item.assignee_id, item.escalation_level) == ("claimed", worker.user_id, 1)
        _assert_no_new_deadlocks(session, deadlocks_before)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_claim_while_the_worker_fires_the_tasks_deadline_waits_instead_of_deadlocking_on_postgresql(
    postgres_session_factory, network, clock, monkeypatch
):
    _claim_while_the_worker_fires_a_deadline(postgres_session_factory, network, clock, monkeypatch)


@pytest.mark.slow
def test_a_claim_while_the_worker_fires_the_tasks_deadline_on_the_configured_database(
    configured_factory, network, clock, monkeypatch
):
    _claim_while_the_worker_fires_a_deadline(configured_factory, network, clock, monkeypatch)
