"""The API's contract beyond rights: problem details naming the field, case search and detail
(child, linked cases, the child's other cases), task detail data, the simulation switch."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import CaseLink, WorkItem
from engine.children.service import CHILD_RECORD_FLAG
from engine.forms.service import put_form
from engine.settings import Settings
from tests.api.conftest import API, REPORT_FORM
from tests.engine.cases.test_commands import publish_reference

# The intake form marked as the child's record, so completing it links the case to a child.
INTAKE_FORM = {
    **REPORT_FORM,
    CHILD_RECORD_FLAG: True,
    "properties": {
        **REPORT_FORM["properties"],
        "child_first_name": {"type": "string"}, "child_last_name": {"type": "string"},
        "child_national_id": {"type": "string", "format": "thai-national-id"},
        "child_birth_date": {"type": "string", "format": "date"},
    },
}
NATIONAL_ID = "1101700230708"


@pytest.fixture
def reference(session, network, clock, staff, reference_forms):
    publish_reference(session, network, clock, staff["policy"].actor)


def _start(session, clock, network, staff):
    case = commands.start_case(session=session, protocol_key="reference", data={"channel": "school"}, actor=staff["worker.spm_tak"].actor,
                              clock=clock, network=network)
    return case, session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))


def test_unknown_routes_and_methods_are_problems(client, staff):
    missing = client.get(f"{API}/nothing-here", headers=staff["admin"].headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = client.delete(f"{API}/cases", headers=staff["admin"].headers)
    assert wrong.status_code == 405 and wrong.json()["status"] == 405


def test_request_validation_names_the_field(client, staff):
    response = client.get(f"{API}/tasks", params={"limit": 0}, headers=staff["admin"].headers)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "limit" and response.json()["errors"][0]["in"] == "query"
    body = client.post(f"{API}/cases", json={"data": {}}, headers=staff["admin"].headers).json()
    assert body["field"] == "protocol" and body["errors"][0]["in"] == "body"
    nul = client.get(f"{API}/cases", params={"q": "a\x00b"}, headers=staff["admin"].headers)
    assert nul.status_code == 422 and nul.json()["field"] == "q"
    naive = client.get(f"{API}/tasks", params={"due_before": "2026-12-01T00:00:00"}, headers=staff["admin"].headers)
    assert naive.status_code == 422 and naive.json()["field"] == "due_before"
    huge = client.get(f"{API}/cases/99999999999", headers=staff["admin"].headers)
    assert huge.status_code == 422 and huge.json()["field"] == "case_id"


def test_engine_input_errors_name_the_field(client, session, clock, network, staff, reference):
    _, item = _start(session, clock, network, staff)
    worker = staff["worker.spm_tak"].headers
    bad_name = client.post(f"{API}/tasks/{item.id}/complete", headers=worker, json={"data": {"1bad": 1}})
    assert bad_name.status_code == 422 and bad_name.json()["errors"] == [{"field": "1bad", "message": bad_name.json()["detail"]}]
    several = client.post(f"{API}/tasks/{item.id}/complete", headers=worker, json={"data": {"summary": 5}})
    assert sorted(e["field"] for e in several.json()["errors"]) == ["severity", "summary"]
    unknown_protocol = client.post(f"{API}/cases", headers=worker, json={"protocol": "no_such_protocol"})
    assert unknown_protocol.status_code == 422 and unknown_protocol.json()["field"] == "protocol"
    unit = client.post(f"{API}/cases", headers=worker, json={"protocol": "reference", "reporting_unit": "mars"})
    assert unit.status_code == 422 and unit.json()["field"] == "reporting_unit"


def test_completing_twice_is_a_conflict_with_the_current_state(client, session, clock, network, staff, reference):
    _, item = _start(session, clock, network, staff)
    worker = staff["worker.spm_tak"].headers
    assert client.post(f"{API}/tasks/{item.id}/complete", headers=worker, json={"data": {"severity": "low"}}).status_code == 200
    again = client.post(f"{API}/tasks/{item.id}/complete", headers=worker, json={"data": {"severity": "low"}})
    assert again.status_code == 409 and again.json()["status"] == 409


def test_case_search_detail_child_and_links(client, session, clock, network, staff, reference):
    put_form(session, key="report_form", schema=INTAKE_FORM, clock=clock)
    session.commit()
    worker = staff["worker.spm_tak"].headers
    first, first_item = _start(session, clock, network, staff)
    child = {"severity": "high", "child_first_name": "ด.ญ. มะลิ", "child_last_name": "ใจดี",
             "child_national_id": NATIONAL_ID, "child_birth_date": "2011-05-01"}
    assert client.post(f"{API}/tasks/{first_item.id}/complete", headers=worker, json={"data": child}).status_code == 200
    clock.advance(timedelta(days=2))
    second, second_item = _start(session, clock, network, staff)
    assert client.post(f"{API}/tasks/{second_item.id}/complete", headers=worker,
                       json={"data": {**child, "severity": "low"}}).status_code == 200

    by_name = client.get(f"{API}/cases", headers=worker, params={"q": "มะลิ"}).json()
    assert [c["id"] for c in by_name["items"]] == [second.id, first.id]
    assert by_name["items"][0]["child_name"] == "ด.ญ. มะลิ ใจดี"
    by_id = client.get(f"{API}/cases", headers=worker, params={"q": NATIONAL_ID}).json()
    assert by_id["total"] == 2
    by_reference = client.get(f"{API}/cases", headers=worker, params={"q": first.reference}).json()
    assert [c["id"] for c in by_reference["items"]] == [first.id]
    searches = session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.searched")).all()
    assert [e.details["results"] for e in searches] == [2, 2, 1]

    # A third case, linked to the first, but held only by the police: hidden from the school.
    third, third_item = _start(session, clock, network, staff)
    session.execute(update(WorkItem).where(WorkItem.case_id == third.id).values(agency_code="police_tak"))
    session.add(CaseLink(from_case_id=first.id, to_case_id=second.id, message="refer", created_at=clock.now()))
    session.add(CaseLink(from_case_id=first.id, to_case_id=third.id, message="refer", created_at=clock.now()))
    session.commit()

    detail = client.get(f"{API}/cases/{first.id}", headers=worker).json()
    assert detail["child"]["national_id"] == NATIONAL_ID and detail["child"]["first_name"] == "ด.ญ. มะลิ"
    assert [(c["id"], c["relation"]) for c in detail["linked_cases"]] == [(second.id, "referred_to")]
    assert [c["id"] for c in detail["child_other_cases"]] == [second.id]
    # The committee sees every linked case.
    committee = client.get(f"{API}/cases/{first.id}", headers=staff["committee"].headers).json()
    assert {c["id"] for c in committee["linked_cases"]} == {second.id, third.id}

    task = client.get(f"{API}/tasks/{first_item.id}", headers=worker).json()
    assert task["state"] == "completed" and task["data"]["severity"] == "high"
    assert task["data"]["child_national_id"] == NATIONAL_ID
    assert "channel" not in task["data"]  # only the form's own fields


def test_task_list_sorts_overdue_first_and_filters(client, session, clock, network, staff, reference):
    social = staff["worker.pmj_tak"].headers
    school = staff["worker.spm_tak"]
    ids = []
    for _ in range(3):
        case, item = _start(session, clock, network, staff)
        commands.complete(session=session, work_item_id=item.id, data={"severity": "high"}, actor=school.actor,
                         clock=clock, network=network)
        ids.append(session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id, WorkItem.task_name == "assess")))
        clock.advance(timedelta(hours=10))
    # Now the first assessment is 6 h late, the others due in 4 h and 14 h.
    listed = client.get(f"{API}/tasks", headers=social).json()
    assert [t["id"] for t in listed["items"]] == ids and [t["overdue"] for t in listed["items"]] == [True, False, False]
    assert [t["id"] for t in client.get(f"{API}/tasks", headers=social, params={"overdue": "true"}).json()["items"]] == ids[:1]
    assert client.get(f"{API}/tasks", headers=social, params={"overdue": "false"}).json()["total"] == 2
    due = (clock.now() + timedelta(hours=5)).isoformat()
    assert client.get(f"{API}/tasks", headers=social, params={"due_before": due}).json()["total"] == 2
    page = client.get(f"{API}/tasks", headers=social, params={"limit": 1, "offset": 1}).json()
    assert (page["total"], [t["id"] for t in page["items"]]) == (3, ids[1:2])
    assert client.get(f"{API}/tasks", headers=social, params={"protocol": "other"}).json()["total"] == 0
    assert client.get(f"{API}/tasks", headers=social, params={"state": "completed"}).json()["total"] == 0
    everyone = client.get(f"{API}/tasks", headers=staff["committee"].headers, params={"agency": "pmj_tak"}).json()
    assert everyone["total"] == 3
    agency_less = client.get(f"{API}/tasks", headers=staff["committee"].headers, params={"scope": "agency"})
    assert agency_less.status_code == 422 and agency_less.json()["field"] == "scope"


def test_the_simulation_clock_exists_only_in_simulation(database_url, session, staff, client):
    with TestClient(create_app(Settings(database_url=database_url))) as plain:
        response = plain.post(f"{API}/simulation/clock", headers=staff["admin"].headers, json={"advance": "PT1H"})
        assert response.status_code == 404
        assert "/api/v1/simulation/clock" not in plain.get("/openapi.json").json()["paths"]
    admin = staff["admin"].headers
    before = client.post(f"{API}/simulation/clock", headers=admin, json={"advance": "PT0S"}).json()["now"]
    backwards = client.post(f"{API}/simulation/clock", headers=admin, json={"to": "2020-01-01T00:00:00+07:00"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "to"
    both = client.post(f"{API}/simulation/clock", headers=admin, json={"advance": "PT1H", "to": before})
    assert both.status_code == 422
    garbage = client.post(f"{API}/simulation/clock", headers=admin, json={"advance": "P9999Y"})
    assert garbage.status_code == 422 and garbage.json()["field"] == "advance"
    moved = client.post(f"{API}/simulation/clock", headers=admin, json={"to": "2027-01-01T09:00:00+07:00"})
    assert moved.status_code == 200 and moved.json()["now"].startswith("2027-01-01T02:00:00")


def test_audit_events_cannot_be_changed_through_the_api(app):
    paths = app.openapi()["paths"]
    audit_operations = {method for path, ops in paths.items() if "audit" in path for method in ops}
    assert audit_operations == {"get"}


def test_unpaired_surrogates_are_invalid_input_naming_the_field(client, session, clock, network, staff, reference):
    """JSON may escape half of a UTF-16 pair ("\\ud800"); no database or encoder can store it."""
    _, item = _start(session, clock, network, staff)
    worker = {**staff["worker.spm_tak"].headers, "Content-Type": "application/json"}
    policy = {**staff["policy"].headers, "Content-Type": "application/json"}
    answers = {
        "data.summary": client.post(f"{API}/tasks/{item.id}/complete", headers=worker,
                                    content=b'{"data": {"severity": "low", "summary": "\\ud800"}}'),
        "data.note": client.post(f"{API}/cases", headers=worker,
                                 content=b'{"protocol": "reference", "data": {"note": "x\\udfff"}}'),
        "reporting_unit": client.post(f"{API}/cases", headers=worker,
                                      content=b'{"protocol": "reference", "reporting_unit": "\\ud83d"}'),
        "body.title": client.put(f"{API}/forms/odd_form", headers=policy,
                                 content=b'{"type": "object", "title": "\\ud800", "properties": {}}'),
        "child_first_name": client.post(f"{API}/children/matches", headers=worker,
                                        content=b'{"child_first_name": "\\udc00"}'),
    }
    for field, answer in answers.items():
        assert answer.status_code == 422, (field, answer.status_code, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == field, answer.json()
        assert "surrogate" in answer.json()["detail"]
    # A real pair is one character, and welcome.
    paired = client.post(f"{API}/tasks/{item.id}/complete", headers=worker,
                         content=b'{"data": {"severity": "low", "summary": "\\ud83d\\ude00"}}')
    assert paired.status_code == 200, paired.text
