"""Lists, searches and case details name the child to the people who work the case, and show
initials and the case reference to the province-wide roles (issue 14, item 4)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import WorkItem
from engine.forms.service import put_form
from tests.api.conftest import API
from tests.api.test_http_contract import INTAKE_FORM, NATIONAL_ID
from tests.engine.cases.test_commands import publish_reference

CHILD = {"severity": "high", "child_first_name": "ด.ญ. มะลิ", "child_last_name": "ใจดี",
         "child_national_id": NATIONAL_ID, "child_birth_date": "2011-05-01"}


@pytest.fixture
def case_with_child(session, network, clock, staff, reference_forms, client):
    put_form(session, key="report_form", schema=INTAKE_FORM, clock=clock)
    session.commit()
    publish_reference(session, network, clock, staff["policy"].actor)
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=staff["worker.spm_tak"].actor,
                               clock=clock, network=network)
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    done = client.post(f"{API}/tasks/{item.id}/complete", headers=staff["worker.spm_tak"].headers, json={"data": CHILD})
    assert done.status_code == 200, done.text
    return case, item


def _row(client, who, **params):
    answer = client.get(f"{API}/cases", headers=who.headers, params=params)
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["items"]
    return row


def test_lists_and_searches_show_initials_to_the_province_wide_roles(client, staff, case_with_child):
    case, _ = case_with_child
    worker = _row(client, staff["worker.spm_tak"])
    assert (worker["child_name"], worker["child_name_masked"]) == ("ด.ญ. มะลิ ใจดี", False)
    for role in ("committee", "admin"):
        row = _row(client, staff[role])
        assert (row["reference"], row["child_name"], row["child_name_masked"]) == (case.reference, "ม.จ.", True)
        found = _row(client, staff[role], q=NATIONAL_ID)
        assert (found["child_name"], found["child_name_masked"]) == ("ม.จ.", True)
        assert "มะลิ" not in client.get(f"{API}/cases", headers=staff[role].headers).text


def test_the_case_detail_hides_identifiers_from_the_province_wide_roles(client, staff, case_with_child):
    case, item = case_with_child
    full = client.get(f"{API}/cases/{case.id}", headers=staff["supervisor.spm_tak"].headers).json()
    assert full["child"]["national_id"] == NATIONAL_ID and full["child"]["masked"] is False
    assert full["child_name"] == "ด.ญ. มะลิ ใจดี"
    masked = client.get(f"{API}/cases/{case.id}", headers=staff["committee"].headers).json()
    child = masked["child"]
    assert (child["masked"], child["first_name"], child["last_name"]) == (True, "ม.", "จ.")
    assert (child["national_id"], child["birth_date"], child["g_code"], child["school"]) == (None, None, None, None)
    assert masked["child_name"] == "ม.จ." and masked["child_name_masked"] is True
    task = client.get(f"{API}/tasks/{item.id}", headers=staff["committee"].headers).json()
    assert task["data"]["child_first_name"] == "ม." and "child_national_id" not in task["data"]
    assert task["data"]["severity"] == "high"
    assert client.get(f"{API}/tasks/{item.id}", headers=staff["worker.spm_tak"].headers).json()["data"]["child_national_id"] == NATIONAL_ID


def test_whose_names_a_list_showed_is_on_the_record(session, client, staff, case_with_child):
    case, _ = case_with_child
    _row(client, staff["worker.spm_tak"])
    _row(client, staff["committee"], q="มะลิ")
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["cases.listed", "cases.searched"]))
                             .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_username, e.details["shown"]) for e in events] == [
        ("cases.listed", "worker.spm_tak", [case.id]), ("cases.searched", "committee", [case.id]),
    ]
    # A list of initials alone names nobody, so it is not recorded.
    _row(client, staff["committee"])
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "cases.listed",
                                                      AuditEvent.actor_username == "committee")) is None
