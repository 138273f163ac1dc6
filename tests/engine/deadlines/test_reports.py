"""What supervisors and the committee read: overdue lists and their audited export, on-time
rates, the monitoring report, and whom a late task may be given to."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.assignees import assignment_choices
from engine.cases.models import Case, WorkItem
from engine.deadlines.reports import (
    export_overdue,
    monitoring_report,
    on_time_rates,
    overdue_for,
    overdue_scope,
)
from engine.deadlines.service import climb_due
from engine.deadlines.tick import tick
from engine.errors import Forbidden
from tests.conftest import add_user
from tests.engine.cases.test_commands import publish_reference, start


@pytest.fixture
def reference(session, network, clock, people):
    return publish_reference(session, network, clock, people["policy"])


def _open(session, case_id, task_name):
    return session.scalar(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.task_name == task_name,
                                                 WorkItem.state.in_(["open", "claimed"])))


def _to_assess(session, clock, network, people):
    case = start(session, clock, network, people)
    commands.complete(session=session, work_item_id=_open(session, case.id, "report").id, data={"severity": "high"},
                      actor=people["school_worker"], clock=clock, network=network)
    return case


def test_overdue_scope_is_the_supervisors_agency_or_the_whole_network(session, network, clock, people, reference):
    supervisor = add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")
    committee = add_user(session, "committee", "committee", None)
    assert overdue_scope(supervisor) == "pmj_tak" and overdue_scope(committee) is None
    with pytest.raises(Forbidden):
        overdue_scope(people["school_worker"])
    late = _to_assess(session, clock, network, people)
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)
    assert [row.case_id for row in overdue_for(session=session, actor=supervisor, now=clock.now())] == [late.id]
    school_head = people["school_supervisor"]
    assert overdue_for(session=session, actor=school_head, now=clock.now()) == []
    rows = export_overdue(session=session, actor=committee, now=clock.now())
    assert [row.case_reference for row in rows] == [late.reference]
    exported = session.scalar(select(AuditEvent).where(AuditEvent.action == "overdue.exported"))
    assert exported.actor_username == "committee" and exported.details["rows"] == 1
    assert exported.details["case_ids"] == [late.id]


def test_on_time_rates_count_tasks_done_by_their_deadline(session, network, clock, people, reference):
    social = people["social_worker"]
    on_time = _to_assess(session, clock, network, people)
    late = _to_assess(session, clock, network, people)
    clock.advance(timedelta(hours=2))
    commands.complete(session=session, work_item_id=_open(session, on_time.id, "assess").id, data={"risk": 2},
                      actor=social, clock=clock, network=network)
    clock.advance(timedelta(hours=30))
    tick(session=session, clock=clock, network=network)
    commands.complete(session=session, work_item_id=_open(session, late.id, "assess").id, data={"risk": 2},
                      actor=social, clock=clock, network=network)
    rates = {rate.agency_code: rate for rate in on_time_rates(session=session, now=clock.now(), days=30)}
    assert (rates["pmj_tak"].done, rates["pmj_tak"].on_time, rates["pmj_tak"].rate) == (2, 1, 0.5)
    assert "spm_tak" not in rates  # the report task has no deadline
    clock.advance(timedelta(days=31))
    assert on_time_rates(session=session, now=clock.now(), days=30) == []
    assert on_time_rates(session=session, now=clock.now(), days=90)[0].done == 2


def test_the_monitoring_report_counts_per_agency_and_protocol_over_the_period(session, network, clock, people, reference):
    begin = clock.now()
    late = _to_assess(session, clock, network, people)
    _to_assess(session, clock, network, people)
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)
    clock.advance(timedelta(days=1, hours=1))
    climb_due(session=session, clock=clock, network=network)  # the first escalation climbs to level 2
    commands.cancel_case(session=session, case_id=late.id, reason="ทดสอบ", actor=people["school_worker"], clock=clock)
    report = monitoring_report(session=session, start=begin, end=clock.now() + timedelta(seconds=1))
    protocol = {row.key: row for row in report.by_protocol}["reference"]
    assert (protocol.cases_opened, protocol.cases_closed, protocol.tasks_done) == (2, 1, 2)
    assert protocol.escalations == 2 and protocol.escalations_by_level == {2: 2} and protocol.highest_level == 2
    agencies = {row.key: row for row in report.by_agency}
    assert agencies["spm_tak"].tasks_done == 2 and agencies["spm_tak"].tasks_with_deadline == 0
    assert agencies["pmj_tak"].escalations == 2 and agencies["pmj_tak"].cases_opened == 2
    assert agencies["pmj_tak"].cases_closed == 1
    assert report.totals.cases_opened == 2 and report.totals.highest_level == 2
    before = monitoring_report(session=session, start=begin - timedelta(days=30), end=begin)
    assert before.by_agency == [] and before.by_protocol == [] and before.totals.cases_opened == 0


def test_a_late_task_may_be_given_to_people_of_its_agency_who_may_work_it(session, network, clock, people, reference):
    case = _to_assess(session, clock, network, people)
    item = _open(session, case.id, "assess")
    supervisor = add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")
    choices = assignment_choices(session=session, actor=supervisor, work_item_ids=[item.id])
    assert [person.username for person in choices[item.id]] == ["supervisor.pmj_tak", "worker.pmj_tak"]
    # Another agency's supervisor may not assign it at all.
    assert assignment_choices(session=session, actor=people["school_supervisor"], work_item_ids=[item.id]) == {}
    assert session.get(Case, case.id).status == "active"
