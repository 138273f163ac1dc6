"""SpiffWorkflow stalls silently at task depth 1000; Khumkrong must fail loudly instead."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands, stepping
from engine.cases.models import Case, WorkItem
from engine.errors import DepthLimitExceeded, InvalidState, WorkflowFailure
from engine.protocols import service as protocols
from tests.conftest import FIXTURES

RUNAWAY = (FIXTURES / "runaway_loop.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def runaway(session, network, clock, people):
    version, findings = protocols.store_draft(
        session=session, key="runaway", bpmn=RUNAWAY, network=network, clock=clock, actor=people["policy"]
    )
    protocols.publish(session=session, key="runaway", version=version.version, clock=clock, actor=people["policy"])
    return findings


def _start_and_decide(session, network, clock, people):
    case = commands.start_case(
        session=session, protocol_key="runaway", data={}, actor=people["school_worker"], clock=clock, network=network
    )
    decide = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "decide"))
    return case, decide


def test_lint_warns_about_the_back_edge(runaway):
    assert [(f.code, f.severity.value, f.element_id) for f in runaway] == [("loop-back-edge", "warning", "spin_back")]


def test_runaway_loop_is_refused_loudly_and_audited(session, network, clock, people, runaway):
    case, decide = _start_and_decide(session, network, clock, people)
    state_before = session.get(Case, case.id).state_json

    with pytest.raises(DepthLimitExceeded, match="depth") as refused:
        commands.complete(session=session, work_item_id=decide.id, data={"keep_looping": True}, actor=people["school_worker"], clock=clock, network=network)
    assert refused.value.details["depth"] >= stepping.DEPTH_LIMIT

    session.expire_all()
    case = session.get(Case, case.id)
    # Flagged for an administrator, with the last consistent state kept — never "completed".
    assert case.status == "error"
    assert "depth" in case.error_message
    assert case.state_json == state_before
    assert session.get(WorkItem, decide.id).state == "open"
    errors = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.error")).all()
    assert len(errors) == 1 and errors[0].details["error"] == "depth-limit"
    with pytest.raises(InvalidState):
        commands.complete(session=session, work_item_id=decide.id, data={"keep_looping": False}, actor=people["school_worker"], clock=clock, network=network)


def test_library_claiming_completion_with_live_tasks_is_refused(session, network, clock, people, runaway, monkeypatch):
    """Without the depth guard, SpiffWorkflow says the case is complete while a task is READY."""
    monkeypatch.setattr(stepping, "DEPTH_LIMIT", 10**6)
    case, decide = _start_and_decide(session, network, clock, people)
    with pytest.raises(WorkflowFailure, match="complete while tasks are still live"):
        commands.complete(session=session, work_item_id=decide.id, data={"keep_looping": True}, actor=people["school_worker"], clock=clock, network=network)
    session.expire_all()
    assert session.get(Case, case.id).status == "active"
    assert session.get(WorkItem, decide.id).state == "open"


def test_the_loop_runs_normally_when_it_ends(session, network, clock, people, runaway):
    case, decide = _start_and_decide(session, network, clock, people)
    commands.complete(session=session, work_item_id=decide.id, data={"keep_looping": False}, actor=people["school_worker"], clock=clock, network=network)
    case = session.get(Case, case.id)
    assert case.status == "completed"
    assert 0 < case.max_task_depth < stepping.DEPTH_WARNING
