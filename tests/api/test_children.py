"""Offering a child's existing record while an intake is filled in, and linking only what was
offered (issue 9, item 3: a record by number is no one's to take)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.children.models import Child, Guardian
from engine.forms.service import put_form
from tests.api.conftest import API
from tests.api.test_http_contract import INTAKE_FORM
from tests.engine.cases.test_commands import publish_reference


def _child(session, clock, **fields):
    child = Child(created_at=clock.now(), updated_at=clock.now(), **fields)
    session.add(child)
    session.commit()
    return child


@pytest.fixture
def intake(session, network, clock, staff, reference_forms):
    """The reference protocol, whose first task is an intake that links the child's record."""
    put_form(session, key="report_form", schema=INTAKE_FORM, clock=clock)
    session.commit()
    publish_reference(session, network, clock, staff["policy"].actor)

    def start(who: str = "worker.spm_tak") -> tuple[Case, WorkItem]:
        case = commands.start_case(session=session, protocol_key="reference", data={}, actor=staff[who].actor,
                                  clock=clock, network=network)
        return case, session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))

    return start


def test_an_identifier_names_the_record_and_a_close_name_is_offered(session, clock, client, staff):
    malee = _child(session, clock, first_name="มะลิ", last_name="ใจดี", birth_date=date(2011, 5, 1),
                   national_id="1101700203450", school="school_takpit")
    _child(session, clock, first_name="สมชาย", last_name="ใจดี", birth_date=date(2011, 5, 1))
    worker = staff["worker.spm_tak"]

    exact = client.post(f"{API}/children/matches", headers=worker.headers,
                        json={"child_first_name": "ด.ญ. มะลิ", "child_national_id": "1101700203450"})
    assert exact.status_code == 200
    # Enough to recognise the child, and no more: no school, no identifiers, the birth year only.
    assert exact.json()["matches"] == [
        {"child_id": malee.id, "first_name": "มะลิ", "last_name": "ใจดี", "birth_year": 2011, "exact": True},
    ]

    close = client.post(f"{API}/children/matches", headers=worker.headers,
                        json={"child_first_name": "มะลี", "child_last_name": "ใจดี", "child_birth_date": "2011-05-01"})
    assert [(m["child_id"], m["exact"]) for m in close.json()["matches"]] == [(malee.id, False)]

    nobody = client.post(f"{API}/children/matches", headers=worker.headers,
                         json={"child_first_name": "มะลิ", "child_birth_date": "2012-01-01"})
    assert nobody.json()["matches"] == []

    lookups = session.scalars(select(AuditEvent).where(AuditEvent.action == "child.matches_viewed")).all()
    assert [e.details["offered"] for e in lookups] == [[malee.id], [malee.id], []]
    assert {e.actor_id for e in lookups} == {worker.id}


def test_a_malformed_identifier_is_refused_naming_the_field(client, staff):
    answer = client.post(f"{API}/children/matches", headers=staff["worker.spm_tak"].headers,
                         json={"child_first_name": "ฝน", "child_national_id": "12345"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "child_national_id" in answer.text


def test_a_child_record_cannot_be_taken_by_its_number(session, clock, client, staff, intake):
    """A school worker, completing their own intake, names another agency's child by id."""
    theirs = _child(session, clock, first_name="ดาว", last_name="ใจดี", birth_date=date(2010, 3, 3),
                    national_id="1101700230708")
    session.add(Guardian(child_id=theirs.id, name="นาย ข", relation="parent", alleged_abuser=True))
    session.commit()
    case, item = intake()
    school = staff["worker.spm_tak"].headers
    answer = client.post(f"{API}/tasks/{item.id}/complete", headers=school,
                         json={"child_id": theirs.id, "data": {"severity": "low", "child_first_name": "ดาว"}})
    assert answer.status_code == 404 and answer.json()["field"] == "child_id"
    session.expire_all()
    assert session.get(Case, case.id).child_id is None
    assert session.get(WorkItem, item.id).state == "open"
    assert session.scalar(select(func.count()).select_from(Guardian)) == 1
    # A record that does not exist is answered the same way.
    missing = client.post(f"{API}/tasks/{item.id}/complete", headers=school,
                          json={"child_id": 999999, "data": {"severity": "low", "child_first_name": "ดาว"}})
    assert (missing.status_code, missing.json()["detail"]) == (404, answer.json()["detail"].replace(str(theirs.id), "999999"))


def test_a_record_offered_for_this_intake_can_be_confirmed(session, clock, client, staff, intake):
    known = _child(session, clock, first_name="สมศรี", last_name="มีสุข", birth_date=date(2010, 2, 3))
    worker = staff["worker.spm_tak"].headers
    lookup = {"child_first_name": "สมศรี", "child_last_name": "มีสุก", "child_birth_date": "2010-02-03"}
    _, other_item = intake()
    case, item = intake()
    data = {"severity": "low", "child_first_name": "สมศรี", "child_last_name": "มีสุก", "child_birth_date": "2010-02-03"}

    # Offered for another intake: not for this one.
    offered = client.post(f"{API}/children/matches", headers=worker, json={**lookup, "task_id": other_item.id})
    assert [m["child_id"] for m in offered.json()["matches"]] == [known.id]
    refused = client.post(f"{API}/tasks/{item.id}/complete", headers=worker, json={"child_id": known.id, "data": data})
    assert refused.status_code == 404

    offered = client.post(f"{API}/children/matches", headers=worker, json={**lookup, "task_id": item.id})
    assert [m["child_id"] for m in offered.json()["matches"]] == [known.id]
    done = client.post(f"{API}/tasks/{item.id}/complete", headers=worker, json={"child_id": known.id, "data": data})
    assert done.status_code == 200, done.text
    session.expire_all()
    assert session.get(Case, case.id).child_id == known.id
    views = session.scalars(select(AuditEvent).where(AuditEvent.action == "child.matches_viewed").order_by(AuditEvent.id)).all()
    assert [(e.work_item_id, e.details["offered"]) for e in views] == [(other_item.id, [known.id]), (item.id, [known.id])]
    [linked] = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.child_linked")).all()
    assert linked.details["how"] == "confirmed"


def test_a_record_already_on_a_case_the_caller_sees_can_be_named(session, clock, client, staff, intake):
    worker = staff["worker.spm_tak"].headers
    first, first_item = intake()
    data = {"severity": "low", "child_first_name": "ฝน"}
    assert client.post(f"{API}/tasks/{first_item.id}/complete", headers=worker, json={"data": data}).status_code == 200
    session.expire_all()
    child_id = session.get(Case, first.id).child_id
    second, second_item = intake()
    assert client.post(f"{API}/tasks/{second_item.id}/complete", headers=worker,
                       json={"child_id": child_id, "data": data}).status_code == 200
    session.expire_all()
    assert session.get(Case, second.id).child_id == child_id


def test_matches_for_a_task_the_caller_cannot_see_are_not_found(session, clock, client, staff, intake):
    _, item = intake()
    answer = client.post(f"{API}/children/matches", headers=staff["worker.police_tak"].headers,
                         json={"child_first_name": "ฝน", "task_id": item.id})
    assert answer.status_code == 404 and answer.json()["field"] == "task_id"


def test_the_committee_reads_the_childs_record_masked_and_the_working_agency_whole(session, clock, network, client, staff, intake):
    case, item = intake()
    data = {"severity": "low", "child_first_name": "มะลิ", "child_last_name": "ใจดี", "child_birth_date": "2011-05-01",
            "child_national_id": "1101700203450"}
    assert client.post(f"{API}/tasks/{item.id}/complete", headers=staff["worker.spm_tak"].headers,
                       json={"data": data}).status_code == 200
    worker = client.get(f"{API}/cases/{case.id}", headers=staff["worker.spm_tak"].headers).json()
    assert worker["child"]["national_id"] == "1101700203450" and worker["child"]["masked"] is False
    assert worker["child"]["birth_date"] == "2011-05-01" and worker["child_name"] == "มะลิ ใจดี"
    committee = client.get(f"{API}/cases/{case.id}", headers=staff["committee"].headers).json()
    assert committee["child"]["masked"] is True
    assert (committee["child"]["first_name"], committee["child"]["last_name"]) == ("ม.", "จ.")
    assert committee["child"]["national_id"] is None and committee["child"]["birth_date"] is None
    assert committee["child_name"] == "ม.จ."
    listed = client.get(f"{API}/cases", headers=staff["admin"].headers).json()["items"]
    assert [row["child_name"] for row in listed] == ["ม.จ."]


def test_a_refused_child_id_is_audited_with_who_which_id_and_which_task(session, clock, client, staff, intake):
    """The refusal answers 404 and rolls the completion back, but the attempt stays on the record
    (issue 9, item 3), without saying whether such a record exists."""
    theirs = _child(session, clock, first_name="ดาว", last_name="ใจดี", birth_date=date(2010, 3, 3))
    case, item = intake()
    worker = staff["worker.spm_tak"]
    for child_id in (theirs.id, 999999):
        answer = client.post(f"{API}/tasks/{item.id}/complete", headers=worker.headers,
                             json={"child_id": child_id, "data": {"severity": "low", "child_first_name": "ดาว"}})
        assert answer.status_code == 404 and answer.json()["field"] == "child_id"
    session.expire_all()
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied").order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.case_id, e.work_item_id, e.details["resource"], e.details["resource_id"], e.details["task"])
            for e in denied] == [
        (worker.id, case.id, item.id, "child", theirs.id, item.task_name),
        (worker.id, case.id, item.id, "child", 999999, item.task_name),
    ]
    assert all("exists" not in e.details for e in denied)
    # Nothing else of the attempt was kept: the task is still open and completed by no one.
    assert session.get(WorkItem, item.id).state == "open"
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "work_item.completed")) == 0
