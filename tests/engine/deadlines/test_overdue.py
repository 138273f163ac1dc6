"""Overdue lists and counts come from SQL over work items."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.cases import assignment, commands
from engine.cases.models import WorkItem
from engine.deadlines.queries import overdue_counts, overdue_work_items
from engine.deadlines.tick import tick
from engine.protocols import service as protocols
from engine.workflow import serialization
from tests.engine.cases.test_commands import REFERENCE, publish_reference


def _case_at_assessment(session, network, clock, people, key="reference"):
    case = commands.start_case(session=session, protocol_key=key, data={}, actor=people["school_worker"], clock=clock, network=network)
    report = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=report.id, data={"severity": "high"}, actor=people["school_worker"], clock=clock, network=network)
    return case


@pytest.fixture
def overdue_world(session, network, clock, people):
    """Three assessments (pmj_tak, due 24 h after creation) created an hour apart on two protocols,
    and one school task without a deadline."""
    publish_reference(session, network, clock, people["policy"])
    protocols.store_draft(session=session, key="reference_copy", bpmn=REFERENCE.replace("reference_protocol", "reference_copy"),
                          network=network, clock=clock, actor=people["policy"])
    protocols.publish(session=session, key="reference_copy", version=1, clock=clock, actor=people["policy"])
    cases = []
    for key in ("reference", "reference", "reference_copy"):
        cases.append(_case_at_assessment(session, network, clock, people, key))
        clock.advance(timedelta(hours=1))
    # A case still at its first task (no deadline): never overdue.
    commands.start_case(session=session, protocol_key="reference", data={}, actor=people["school_worker"], clock=clock, network=network)
    return cases


def test_overdue_items_are_listed_most_overdue_first(session, clock, overdue_world, monkeypatch):
    # Lists must never load a workflow.
    monkeypatch.setattr(serialization, "restore_workflow", lambda *a, **k: pytest.fail("a list loaded a workflow"))
    first, second, third = overdue_world
    assert overdue_work_items(session=session, now=clock.now()) == []

    clock.advance(timedelta(hours=22, minutes=30))  # the first two are late, the third not yet
    rows = overdue_work_items(session=session, now=clock.now())
    assert [r.case_reference for r in rows] == [first.reference, second.reference]
    assert rows[0].overdue_seconds == 90 * 60 and rows[1].overdue_seconds == 30 * 60
    assert {(r.task_name, r.agency_code, r.protocol_key) for r in rows} == {("assess", "pmj_tak", "reference")}

    clock.advance(timedelta(hours=2))
    everything = overdue_work_items(session=session, now=clock.now())
    assert [r.case_reference for r in everything] == [first.reference, second.reference, third.reference]
    assert [r.case_reference for r in overdue_work_items(session=session, now=clock.now(), protocol="reference_copy")] == [third.reference]
    assert overdue_work_items(session=session, now=clock.now(), agency="spm_tak") == []
    assert len(overdue_work_items(session=session, now=clock.now(), agency="pmj_tak", limit=2)) == 2
    assert [r.case_reference for r in overdue_work_items(session=session, now=clock.now(), limit=2, offset=2)] == [third.reference]


def test_overdue_filters_by_assignee_and_escalation_level(session, network, clock, people, overdue_world):
    first, second, _ = overdue_world
    first_item = session.scalar(select(WorkItem).where(WorkItem.case_id == first.id, WorkItem.task_name == "assess"))
    assignment.claim(session=session, work_item_id=first_item.id, actor=people["social_worker"], clock=clock)
    clock.advance(timedelta(hours=22, minutes=30))
    tick(session=session, clock=clock, network=network)  # first two escalate to level 1

    assert [r.work_item_id for r in overdue_work_items(session=session, now=clock.now(), assignee_id=people["social_worker"].user_id)] == [first_item.id]
    assert {r.case_reference for r in overdue_work_items(session=session, now=clock.now(), min_level=1)} == {first.reference, second.reference}
    assert overdue_work_items(session=session, now=clock.now(), min_level=2) == []


def test_overdue_counts_per_agency_and_protocol(session, clock, overdue_world):
    clock.advance(timedelta(days=2))
    counts = overdue_counts(session=session, now=clock.now())
    assert [(c.agency_code, c.protocol_key, c.count) for c in counts] == [
        ("pmj_tak", "reference", 2), ("pmj_tak", "reference_copy", 1),
    ]
    first_due = min(r.due_at for r in overdue_work_items(session=session, now=clock.now()))
    assert counts[0].oldest_due_at == first_due


def test_page_bounds_are_checked(session, clock):
    with pytest.raises(ValueError):
        overdue_work_items(session=session, now=clock.now(), limit=0)
    with pytest.raises(ValueError):
        overdue_work_items(session=session, now=clock.now(), offset=-1)
