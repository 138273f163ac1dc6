"""How the tick finds and claims due cases: once each, in batches behind a cursor, never
waiting on a case someone else holds, never firing one twice."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case
from engine.cases.stepping import lock_case
from engine.deadlines import tick as ticking
from engine.deadlines.tick import tick
from engine.people.actors import SYSTEM
from tests.engine.deadlines.seeding import cases_due_together


def _firings(factory) -> Counter[int]:
    with factory() as session:
        return Counter(session.scalars(select(AuditEvent.case_id).where(AuditEvent.action == "case.timers_fired")))


def _still_due(factory, case_ids: list[int]) -> set[int]:
    with factory() as session:
        return set(session.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.next_timer_at.is_not(None))))


def test_cases_due_at_one_moment_fire_once_each_across_batches(session_factory, network, clock, monkeypatch):
    monkeypatch.setattr(ticking, "BATCH", 3)  # seven cases: three batches, the cursor breaking ties by id
    case_ids = cases_due_together(session_factory, network, clock, 7)
    with session_factory() as session:
        report = tick(session=session, clock=clock, network=network)
    assert (report.cases_examined, report.timers_fired, report.failed_case_ids) == (7, 7, [])
    assert _firings(session_factory) == Counter(case_ids)
    assert _still_due(session_factory, case_ids) == set()


def test_a_limit_counts_the_cases_claimed(session_factory, network, clock, monkeypatch):
    monkeypatch.setattr(ticking, "BATCH", 2)
    case_ids = cases_due_together(session_factory, network, clock, 5)
    with session_factory() as session:
        report = tick(session=session, clock=clock, network=network, limit=3)
    assert (report.cases_examined, report.timers_fired) == (3, 3)
    # The earliest due first: equal due times go by id.
    assert set(_firings(session_factory)) == set(case_ids[:3])
    with session_factory() as session:
        assert tick(session=session, clock=clock, network=network).timers_fired == 2
    assert _firings(session_factory) == Counter(case_ids)


def test_a_case_fired_after_its_batch_was_read_is_not_fired_again(session_factory, network, clock, monkeypatch):
    """Another worker fires a case between this worker's read of the batch and its claim: the
    claim finds it no longer due and passes over it."""
    case_ids = cases_due_together(session_factory, network, clock, 3)
    read = ticking._due_batch

    def read_then_another_worker_fires(session, **kwargs):
        batch = read(session, **kwargs)
        if batch and batch[0][1] == case_ids[0]:
            with session_factory() as other:
                commands.run_command(session=other, case_id=case_ids[1], clock=clock, actor=SYSTEM,
                                     act=ticking._fire_due_timers, network=network)
        return batch

    monkeypatch.setattr(ticking, "_due_batch", read_then_another_worker_fires)
    with session_factory() as session:
        report = tick(session=session, clock=clock, network=network)
    assert (report.cases_examined, report.timers_fired) == (2, 2)
    assert _firings(session_factory) == Counter(case_ids)


@pytest.mark.postgres
def test_a_case_held_by_another_transaction_is_passed_over_not_waited_on(postgres_session_factory, network, clock):
    factory = postgres_session_factory
    case_ids = cases_due_together(factory, network, clock, 3)
    held = factory()
    try:
        assert lock_case(session=held, case_id=case_ids[1]) is not None  # a user's command, say
        result: list = []
        sweep = threading.Thread(target=lambda: result.append(_tick(factory, network, clock)))
        sweep.start()
        sweep.join(timeout=60)
        assert not sweep.is_alive(), "the tick waited on the held case"
        assert (result[0].cases_examined, result[0].timers_fired) == (2, 2)
        assert _still_due(factory, case_ids) == {case_ids[1]}
    finally:
        held.rollback()
        held.close()
    # The next pass fires it.
    assert _tick(factory, network, clock).timers_fired == 1
    assert _firings(factory) == Counter(case_ids)


def _tick(factory, network, clock):
    with factory() as session:
        return tick(session=session, clock=clock, network=network)
