"""A school's cases over HTTP (issue 12, items 4 and 6): a school's staff see their own school's
cases only, and none whose alleged abuser is one of the school's staff, while the education
office's own staff go on seeing and working them.

The reference protocol's intake form here also asks for the child's school and whether the
alleged abuser is school staff, the two fields of the P1 intake the engine reads.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.inbox import inbox_count
from engine.cases.models import Case, Escalation, WorkItem
from engine.deadlines.reports import overdue_for
from engine.deadlines.tick import tick
from engine.forms.service import put_form
from engine.notify.models import OutboxMessage
from engine.people.models import User
from engine.protocols import service as protocols
from tests.api.conftest import API, REPORT_FORM, person
from tests.engine.cases.test_commands import REFERENCE, publish_reference

INTAKE_FORM = {
    **REPORT_FORM,
    "properties": {
        **REPORT_FORM["properties"],
        "child_school": {"type": "string", "maxLength": 200},
        "alleged_abuser_is_school_staff": {"type": "boolean"},
    },
}


@pytest.fixture
def reference(session, network, clock, staff, reference_forms):
    put_form(session, key="report_form", schema=INTAKE_FORM, clock=clock)
    session.commit()
    publish_reference(session, network, clock, staff["policy"].actor)


def start(session, clock, network, starter, reporting_unit: str) -> tuple[int, int]:
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=starter.actor, clock=clock,
                               network=network, reporting_unit=reporting_unit)
    return case.id, session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id))


def next_task(session, case_id: int) -> int:
    return session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.state == "open"))


def sees(client, person, case_id: int, task_id: int) -> dict[str, bool]:
    """Every place a case shows: its detail, its task, the case list, the task list."""
    headers = person.headers
    return {
        "case": client.get(f"{API}/cases/{case_id}", headers=headers).status_code == 200,
        "task": client.get(f"{API}/tasks/{task_id}", headers=headers).status_code == 200,
        "cases": case_id in [c["id"] for c in client.get(f"{API}/cases", headers=headers).json()["items"]],
        "tasks": task_id in [t["id"] for t in client.get(f"{API}/tasks", headers=headers).json()["items"]],
    }


ALL = {"case": True, "task": True, "cases": True, "tasks": True}
NONE = {"case": False, "task": False, "cases": False, "tasks": False}


def test_a_case_belongs_to_the_childs_school_once_the_intake_names_it(client, session, clock, network, staff, reference):
    # Reported by one school about a pupil of another: the child's school is the one it concerns.
    case_id, intake = start(session, clock, network, staff["worker.spm_tak"], "school_padung")
    assert sees(client, staff["worker.school_padung"], case_id, intake) == ALL
    assert sees(client, staff["worker.school_takpit"], case_id, intake) == NONE
    done = client.post(f"{API}/tasks/{intake}/complete", headers=staff["worker.spm_tak"].headers,
                       json={"data": {"severity": "low", "child_school": "school_takpit"}})
    assert done.status_code == 200
    task = next_task(session, case_id)
    assert session.get_one(Case, case_id).unit_code == "school_takpit"
    assert sees(client, staff["worker.school_takpit"], case_id, task) == ALL
    assert sees(client, staff["worker.school_padung"], case_id, task) == NONE
    assert sees(client, staff["supervisor.spm_tak"], case_id, task) == ALL


def test_when_the_alleged_abuser_is_school_staff_the_school_cannot_open_the_case(client, session, clock, network, staff,
                                                                                reference):
    case_id, intake = start(session, clock, network, staff["worker.spm_tak"], "school_takpit")
    school = staff["worker.school_takpit"]
    assert sees(client, school, case_id, intake) == ALL
    done = client.post(f"{API}/tasks/{intake}/complete", headers=staff["worker.spm_tak"].headers, json={"data": {
        "severity": "low", "child_school": "school_takpit", "alleged_abuser_is_school_staff": True}})
    assert done.status_code == 200
    task = next_task(session, case_id)

    assert sees(client, school, case_id, task) == NONE
    for method, path in (("GET", f"/cases/{case_id}"), ("GET", f"/cases/{case_id}/audit"), ("GET", f"/tasks/{task}"),
                         ("GET", f"/tasks/{task}/comments"), ("POST", f"/tasks/{task}/claim")):
        answer = client.request(method, f"{API}{path}", headers=school.headers)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    completed = client.post(f"{API}/tasks/{task}/complete", headers=school.headers, json={"data": {"note": "x"}})
    assert completed.status_code == 404
    assert inbox_count(session=session, actor=school.actor, now=clock.now()).total == 0
    denied = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == school.id,
                                                      AuditEvent.action == "access.denied")).all()
    assert {event.case_id for event in denied} == {case_id} and len(denied) >= 5
    kept_out = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                        AuditEvent.action == "case.unit_kept_out")).all()
    assert len(kept_out) == 1

    # The education office's own staff go on: they see it and work it.
    for office in (staff["worker.spm_tak"], staff["supervisor.spm_tak"]):
        assert sees(client, office, case_id, task) == ALL
    shown = client.get(f"{API}/cases/{case_id}", headers=staff["supervisor.spm_tak"].headers).json()
    assert (shown["unit_code"], shown["unit_kept_out"]) == ("school_takpit", True)
    assert client.post(f"{API}/tasks/{task}/claim", headers=staff["worker.spm_tak"].headers).status_code == 200


def test_a_school_worker_who_reports_a_colleague_loses_sight_of_the_case_at_once(client, session, clock, network, staff,
                                                                                 reference):
    school = staff["worker.school_takpit"]
    other = client.post(f"{API}/cases", headers=school.headers,
                        json={"protocol": "reference", "data": {}, "reporting_unit": "school_padung"})
    assert other.status_code == 422 and other.json()["field"] == "reporting_unit"
    # A school's staff report for their own school, named or not.
    started = client.post(f"{API}/cases", headers=school.headers, json={"protocol": "reference", "data": {}})
    assert started.status_code == 201 and started.json()["reporting_unit"] == "school_takpit"
    case_id = started.json()["id"]
    intake = next_task(session, case_id)
    done = client.post(f"{API}/tasks/{intake}/complete", headers=school.headers, json={"data": {
        "severity": "low", "alleged_abuser_is_school_staff": True}})
    assert done.status_code == 200
    assert client.get(f"{API}/cases/{case_id}", headers=school.headers).status_code == 404
    assert sees(client, staff["supervisor.spm_tak"], case_id, next_task(session, case_id)) == ALL



# The reference protocol with its lanes swapped: the social development office takes the report,
# and the education office's task carries the 24-hour deadline.
SCHOOL_DEADLINE = REFERENCE.replace('<bpmn:lane id="lane_school" name="spm_tak">', '<bpmn:lane id="lane_office" name="pmj_tak">') \
    .replace('<bpmn:lane id="pmj_tak" name="พมจ.">', '<bpmn:lane id="spm_tak" name="สพม.">')


@pytest.fixture
def late_school_work(session, network, clock, staff, reference):
    """Makes a school's case whose education-office task is a day late, with the escalation raised
    (the school kept out before it, if asked), and the schools' supervisors, with e-mail so that
    notices would reach them."""
    supervisors = {unit: person(session, clock, f"supervisor.{unit}", "supervisor", "spm_tak", unit)
                   for unit in ("school_takpit", "school_padung")}
    for username in ("supervisor.school_takpit", "supervisor.school_padung", "supervisor.spm_tak"):
        session.scalar(select(User).where(User.username == username)).email = f"{username}@example.org"
    session.commit()
    version, _ = protocols.store_draft(session=session, key="school_deadline", bpmn=SCHOOL_DEADLINE, network=network,
                                       clock=clock, actor=staff["policy"].actor)
    protocols.publish(session=session, key="school_deadline", version=version.version, clock=clock,
                      actor=staff["policy"].actor)

    def make(*, kept_out: bool) -> tuple[int, int]:
        case = commands.start_case(session=session, protocol_key="school_deadline", data={},
                                   actor=staff["worker.pmj_tak"].actor, clock=clock, network=network,
                                   reporting_unit="school_takpit")
        intake = next_task(session, case.id)
        commands.complete(session=session, work_item_id=intake, network=network, clock=clock,
                          actor=staff["worker.pmj_tak"].actor,
                          data={"severity": "high", "alleged_abuser_is_school_staff": kept_out})
        clock.advance(timedelta(hours=25))
        tick(session=session, clock=clock, network=network)
        escalation = session.scalar(select(Escalation).where(Escalation.case_id == case.id))
        assert escalation is not None and escalation.agency_code == "spm_tak"
        return case.id, escalation.id

    return make, supervisors


def told(session, case_id: int) -> set[str]:
    """Who has a notice about the case in the outbox."""
    return set(session.scalars(select(User.username).join(OutboxMessage, OutboxMessage.recipient_id == User.id)
                               .where(OutboxMessage.case_id == case_id)))


def listed(client, who) -> list[int]:
    return [e["id"] for e in client.get(f"{API}/escalations", headers=who.headers).json()["items"]]


def test_a_schools_supervisor_sees_and_hears_of_its_own_late_work_only(client, session, clock, late_school_work):
    make, supervisors = late_school_work
    case_id, escalation_id = make(kept_out=False)
    own, other = supervisors["school_takpit"], supervisors["school_padung"]
    assert listed(client, own) == [escalation_id] and listed(client, other) == []
    assert [row.case_id for row in overdue_for(session=session, actor=own.actor, now=clock.now())] == [case_id]
    assert overdue_for(session=session, actor=other.actor, now=clock.now()) == []
    ack = {"json": {"note": "รับทราบ"}}
    assert client.post(f"{API}/escalations/{escalation_id}/acknowledge", headers=other.headers, **ack).status_code == 404
    assert client.post(f"{API}/escalations/{escalation_id}/acknowledge", headers=own.headers, **ack).status_code == 200
    assert {"supervisor.school_takpit", "supervisor.spm_tak"} <= told(session, case_id)
    assert "supervisor.school_padung" not in told(session, case_id)


def test_when_the_school_is_kept_out_its_supervisor_is_neither_shown_nor_told(client, session, clock, staff,
                                                                              late_school_work):
    make, supervisors = late_school_work
    case_id, escalation_id = make(kept_out=True)
    own = supervisors["school_takpit"]
    assert listed(client, own) == []
    assert overdue_for(session=session, actor=own.actor, now=clock.now()) == []
    assert client.post(f"{API}/escalations/{escalation_id}/acknowledge", headers=own.headers,
                       json={"note": "รับทราบ"}).status_code == 404
    assert listed(client, staff["supervisor.spm_tak"]) == [escalation_id]
    assert "supervisor.spm_tak" in told(session, case_id) and "supervisor.school_takpit" not in told(session, case_id)
