"""Issue 9 over HTTP: a protocol that could hang or flood the engine is refused when policy staff
upload it, with a 422 problem naming the element, and nothing is stored. Each of these uploads
was accepted before (201), and then hung case creation, slowed every case, or failed every case
on PostgreSQL. Run on SQLite and on PostgreSQL like the rest of the suite."""
from __future__ import annotations

import pytest

from engine.protocols.models import ProtocolVersion
from tests.api.conftest import API
from tests.bpmn_builders import condition, one_task, parallel_tasks, with_timer

XML = {"Content-Type": "application/xml"}
FORM = ' camunda:formKey="note_form"'


def with_form(document: str) -> str:
    """Give the builders' task the reference note form, as an upload with forms needs."""
    return document.replace('<bpmn:userTask id="assess"', f'<bpmn:userTask id="assess"{FORM}')


def upload(client, staff, key: str, document: str):
    return client.post(f"{API}/protocols/{key}/drafts", headers={**staff["policy"].headers, **XML}, content=document.encode())


def assert_refused(response, session, *expected: tuple[str, str]) -> list[dict]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] and body["status"] == 422
    errors = [f for f in body["findings"] if f["severity"] == "error"]
    assert [(f["code"], f["element_id"]) for f in errors] == list(expected)
    assert all(f["message_th"] and f["message_en"] for f in errors)
    # Nothing half-stored: no version exists to publish.
    assert session.query(ProtocolVersion).count() == 0
    return errors


@pytest.mark.parametrize("cycle, expected", [
    ("R/PT0S", [("timer-cycle-too-frequent", "assess_deadline"), ("timer-cycle-unbounded", "assess_deadline")]),
    ("R/2026-12-01T09:00:00+07:00/PT0S", [("timer-cycle-too-frequent", "assess_deadline"), ("timer-cycle-unbounded", "assess_deadline")]),
    ("R/PT1S", [("timer-cycle-too-frequent", "assess_deadline"), ("timer-cycle-unbounded", "assess_deadline")]),
    ("R5/PT0S", [("timer-cycle-too-frequent", "assess_deadline")]),
])
def test_item_1_a_zero_gap_or_endless_repeating_timer_cannot_be_uploaded(client, session, staff, reference_forms, cycle, expected):
    assert_refused(upload(client, staff, "flood", with_form(with_timer("timeCycle", cycle))), session, *expected)
    # A bounded cycle at the floor is fine.
    assert upload(client, staff, "reminders", with_form(with_timer("timeCycle", "R3/PT1H"))).status_code == 201


def test_item_9_eight_thousand_parallel_tasks_cannot_be_uploaded(client, session, staff, reference_forms):
    [finding] = assert_refused(upload(client, staff, "huge", parallel_tasks(8000)), session, ("too-many-flow-nodes", "built_case"))
    assert "8004" in finding["message_en"]


def test_item_9_a_split_wider_than_the_network_allows_cannot_be_uploaded(client, session, staff, reference_forms):
    document = parallel_tasks(21).replace("<bpmn:userTask id=", f"<bpmn:userTask{FORM} id=")
    assert_refused(upload(client, staff, "wide", document), session, ("too-many-branches", "split"))


def test_item_12_a_task_name_longer_than_its_column_cannot_be_uploaded(client, session, staff, reference_forms):
    # Before: 201, published, then every POST /cases on it answered 500 on PostgreSQL.
    response = upload(client, staff, "long_name", with_form(one_task(name="ก" * 256)))
    [finding] = assert_refused(response, session, ("name-too-long", "assess"))
    assert "work_items.label" in finding["message_en"]
    assert upload(client, staff, "long_name", with_form(one_task(name="ก" * 255))).status_code == 201


def test_item_16_a_task_assigned_outside_its_lanes_agency_cannot_be_uploaded(client, session, staff, reference_forms):
    document = with_form(one_task(attributes=' camunda:assignee="worker.police_tak"'))
    assert_refused(upload(client, staff, "misassigned", document), session, ("assignee-not-in-agency", "assess"))
    # Someone of the lane's agency is fine; an account not created yet is only a warning.
    assert upload(client, staff, "assigned", with_form(one_task(attributes=' camunda:assignee="worker.pmj_tak"'))).status_code == 201
    unknown = upload(client, staff, "assigned", with_form(one_task(attributes=' camunda:assignee="somchai.pmj_tak"')))
    assert unknown.status_code == 201
    assert [(f["code"], f["severity"], f["element_id"]) for f in unknown.json()["findings"]] == [
        ("assignee-unknown", "warning", "assess"),
    ]


@pytest.mark.parametrize("expression", ["'a'*10**9 == 'a'", "9**9**9 &gt; 0"])
def test_item_17_a_condition_that_always_fails_cannot_be_uploaded(client, session, staff, reference_forms, expression):
    assert_refused(upload(client, staff, "failing", with_form(condition(expression))), session, ("expression-fails", "risky"))


def test_a_timer_finding_names_the_event_the_canvas_can_select(client, session, staff, reference_forms):
    # The timerEventDefinition has an id too, but no shape: the boundary event is named.
    document = with_form(with_timer("timeDuration", "PT24X"))
    assert_refused(upload(client, staff, "bad_timer", document), session, ("invalid-timer", "assess_deadline"))
