"""The reference protocol end to end, and the runtime commands' rules."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.models import Case, CaseStatus, WorkItem
from engine.deadlines.tick import tick
from engine.errors import Conflict, Forbidden, InvalidInput, InvalidState, NotFound
from engine.protocols import service as protocols
from tests.conftest import FIXTURES

REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")


def publish_reference(session, network, clock, actor, key="reference"):
    version, findings = protocols.store_draft(
        session=session, key=key, bpmn=REFERENCE, network=network, clock=clock, actor=actor
    )
    protocols.publish(session=session, key=key, version=version.version, clock=clock, actor=actor)
    return version


def open_items(session, case_id):
    return {
        item.task_name: item
        for item in session.scalars(
            select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state.in_(["open", "claimed"]))
        )
    }


def actions(session, case_id):
    return [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))]


@pytest.fixture
def reference(session, network, clock, people):
    return publish_reference(session, network, clock, people["policy"])


def start(session, clock, network, people, **data):
    return commands.start_case(
        session=session, protocol_key="reference", data=data or {"channel": "school"},
        actor=people["school_worker"], clock=clock, network=network,
    )


def test_reference_protocol_runs_end_to_end(session, network, clock, people, reference):
    case = start(session, clock, network, people)
    assert case.reference == "TAK-2026-000001"
    items = open_items(session, case.id)
    assert set(items) == {"report"}
    report = items["report"]
    assert (report.agency_code, report.lane, report.candidate_role, report.form_key) == (
        "spm_tak", "spm_tak", "case_worker", "report_form",
    )
    assert report.label == "รับแจ้งเหตุ"
    assert report.due_at is None
    assert case.next_timer_at is None

    clock.advance(timedelta(hours=1))
    assessed_from = clock.now()
    commands.complete(session=session, work_item_id=report.id, data={"severity": "high"}, actor=people["school_worker"], clock=clock, network=network)

    items = open_items(session, case.id)
    assert set(items) == {"assess"}
    assess = items["assess"]
    # The lane is matched by its id here (its name is a display name).
    assert assess.agency_code == "pmj_tak"
    assert assess.form_key == "assess_form.schema.json"
    assert assess.created_at == assessed_from
    assert assess.due_at == assessed_from + timedelta(hours=24)
    case = session.get(Case, case.id)
    assert case.next_timer_at == assessed_from + timedelta(hours=24)

    # Before the deadline a tick fires nothing.
    clock.advance(timedelta(hours=23))
    report_before = tick(session=session, clock=clock, network=network)
    assert report_before.timers_fired == 0
    assert set(open_items(session, case.id)) == {"assess"}

    # After it, the non-interrupting boundary path runs and the task stays with its owner.
    clock.advance(timedelta(hours=1, minutes=1))
    fired = tick(session=session, clock=clock, network=network)
    assert fired.timers_fired == 1 and fired.cases_examined == 1
    items = open_items(session, case.id)
    assert set(items) == {"assess", "follow_up"}
    assert items["follow_up"].agency_code == "spm_tak"
    assert session.get(Case, case.id).next_timer_at is None
    assert tick(session=session, clock=clock, network=network).timers_fired == 0

    commands.complete(session=session, work_item_id=items["follow_up"].id, data={}, actor=people["school_worker"], clock=clock, network=network)
    assert session.get(Case, case.id).status == CaseStatus.ACTIVE.value
    commands.complete(session=session, work_item_id=items["assess"].id, data={"plan": "home visit"}, actor=people["social_worker"], clock=clock, network=network)

    case = session.get(Case, case.id)
    assert case.status == CaseStatus.COMPLETED.value
    assert case.closed_at == clock.now()
    assert open_items(session, case.id) == {}
    completed = session.scalars(select(WorkItem).where(WorkItem.case_id == case.id)).all()
    assert {i.task_name: i.state for i in completed} == {
        "report": "completed", "assess": "completed", "follow_up": "completed",
    }
    assert actions(session, case.id) == [
        "case.started", "work_item.created",
        "work_item.completed", "work_item.created",
        "case.timers_fired", "work_item.created", "escalation.raised",
        "work_item.completed",
        "work_item.completed", "case.completed",
    ]


def test_default_branch_when_condition_is_false(session, network, clock, people, reference):
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]
    commands.complete(session=session, work_item_id=report.id, data={"severity": "low"}, actor=people["school_worker"], clock=clock, network=network)
    assert set(open_items(session, case.id)) == {"file_report"}


def test_interrupted_state_survives_restart_of_the_process(session, session_factory, network, clock, people, reference):
    """Each command restores the workflow from the database; a new session sees the same case."""
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]
    with session_factory() as other:
        commands.complete(session=other, work_item_id=report.id, data={"severity": "high"}, actor=people["school_worker"], clock=clock, network=network)
    session.expire_all()
    assert set(open_items(session, case.id)) == {"assess"}


def test_reference_numbers_count_up(session, network, clock, people, reference):
    refs = [start(session, clock, network, people).reference for _ in range(3)]
    assert refs == ["TAK-2026-000001", "TAK-2026-000002", "TAK-2026-000003"]


def test_reference_year_is_thai_local_year(session, network, people, reference):
    from datetime import datetime, timezone

    from engine.clock import SimulatedClock

    # 31 Dec 2026 18:00 UTC is already 1 Jan 2027 in Tak.
    new_year = SimulatedClock(datetime(2026, 12, 31, 18, 0, tzinfo=timezone.utc))
    assert start(session, new_year, network, people).reference == "TAK-2027-000001"


def test_claim_unclaim_and_rights(session, network, clock, people, reference):
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]

    with pytest.raises(Forbidden):
        assignment.claim(session=session, work_item_id=report.id, actor=people["social_worker"], clock=clock)
    with pytest.raises(Forbidden):
        assignment.claim(session=session, work_item_id=report.id, actor=people["policy"], clock=clock)

    claimed = assignment.claim(session=session, work_item_id=report.id, actor=people["school_worker"], clock=clock)
    assert (claimed.state, claimed.assignee_id) == ("claimed", people["school_worker"].user_id)
    with pytest.raises(Conflict):
        assignment.claim(session=session, work_item_id=report.id, actor=people["school_worker_2"], clock=clock)
    with pytest.raises(Conflict):
        commands.complete(session=session, work_item_id=report.id, data={"severity": "low"}, actor=people["school_worker_2"], clock=clock, network=network)
    with pytest.raises(Conflict):
        assignment.unclaim(session=session, work_item_id=report.id, actor=people["school_worker_2"], clock=clock)

    released = assignment.unclaim(session=session, work_item_id=report.id, actor=people["school_worker"], clock=clock)
    assert (released.state, released.assignee_id) == ("open", None)
    # A supervisor of the agency may work a case worker's task.
    done = commands.complete(session=session, work_item_id=report.id, data={"severity": "low"}, actor=people["school_supervisor"], clock=clock, network=network)
    assert (done.state, done.completed_by_id) == ("completed", people["school_supervisor"].user_id)
    with pytest.raises(Conflict):
        commands.complete(session=session, work_item_id=report.id, data={"severity": "low"}, actor=people["school_worker"], clock=clock, network=network)
    assert actions(session, case.id).count("work_item.claimed") == 1
    assert actions(session, case.id).count("work_item.unclaimed") == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"__class__": 1}, "__class__"),
        ({"1abc": 1}, "1abc"),
        ({"a b": 1}, "a b"),
        ({"when": object()}, "data"),
        ({"blob": "x" * 300_000}, "data"),
    ],
)
def test_bad_form_data_is_refused_and_nothing_changes(session, network, clock, people, reference, data, field):
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]
    before = session.get(Case, case.id).version
    with pytest.raises(InvalidInput) as refused:
        commands.complete(session=session, work_item_id=report.id, data=data, actor=people["school_worker"], clock=clock, network=network)
    assert refused.value.details["field"] == field
    session.expire_all()
    assert session.get(Case, case.id).version == before
    assert open_items(session, case.id)["report"].state == "open"


def test_a_failing_condition_rolls_back_the_command(session, network, clock, people, reference):
    """No 'severity' in the form: the gateway cannot decide; the command fails, the case is unchanged."""
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]
    from engine.errors import WorkflowFailure

    with pytest.raises(WorkflowFailure, match="severity"):
        commands.complete(session=session, work_item_id=report.id, data={}, actor=people["school_worker"], clock=clock, network=network)
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.status == "active"
    assert open_items(session, case.id)["report"].state == "open"
    assert "work_item.completed" not in actions(session, case.id)


def test_cancel_case_withdraws_work_and_timers(session, network, clock, people, reference):
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]
    commands.complete(session=session, work_item_id=report.id, data={"severity": "high"}, actor=people["school_worker"], clock=clock, network=network)
    with pytest.raises(InvalidInput):
        commands.cancel_case(session=session, case_id=case.id, reason=" ", actor=people["school_supervisor"], clock=clock)
    cancelled = commands.cancel_case(session=session, case_id=case.id, reason="duplicate report", actor=people["school_supervisor"], clock=clock)
    assert cancelled.status == "cancelled" and cancelled.next_timer_at is None
    assert open_items(session, case.id) == {}
    clock.advance(timedelta(days=3))
    assert tick(session=session, clock=clock, network=network).cases_examined == 0
    with pytest.raises(InvalidState):
        commands.cancel_case(session=session, case_id=case.id, reason="again", actor=people["school_supervisor"], clock=clock)
    assert actions(session, case.id)[-2:] == ["work_item.cancelled", "case.cancelled"]


def test_unknown_things_are_not_found(session, network, clock, people, reference):
    with pytest.raises(NotFound):
        commands.complete(session=session, work_item_id=999, data={}, actor=people["school_worker"], clock=clock, network=network)
    with pytest.raises(NotFound):
        commands.cancel_case(session=session, case_id=999, reason="x", actor=people["school_worker"], clock=clock)
    with pytest.raises(NotFound):
        commands.start_case(session=session, protocol_key="nope", data={}, actor=people["school_worker"], clock=clock, network=network)


def test_unpublished_protocol_cannot_start(session, network, clock, people):
    protocols.store_draft(session=session, key="draft_only", bpmn=REFERENCE, network=network, clock=clock, actor=people["policy"])
    with pytest.raises(NotFound, match="no published version"):
        commands.start_case(session=session, protocol_key="draft_only", data={}, actor=people["school_worker"], clock=clock, network=network)
