"""A whole case driven through HTTP alone: the protocol and its forms uploaded and published by
policy staff, then started, listed per agency, claimed, completed with form data, left to run
late, escalated, acknowledged and finished. Accounts come from ``khumkrong users add``; after
that, nothing but HTTP requests."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from engine.settings import PROJECT_ROOT
from tests.api.conftest import API, ASSESS_FORM, NOTE_FORM, REPORT_FORM
from tests.conftest import FIXTURES

PASSWORD = "tak-training-2026"
ACCOUNTS = [
    ("policy.one", "policy", None),
    ("committee.one", "committee", None),
    ("admin.one", "admin", None),
    ("teacher.takpit", "case_worker", "spm_tak"),
    ("social.worker", "case_worker", "pmj_tak"),
    ("social.head", "supervisor", "pmj_tak"),
    ("police.officer", "case_worker", "police_tak"),
    ("police.head", "supervisor", "police_tak"),
    ("shelter.worker", "case_worker", "shelter_tak"),
]


def _accounts(database_url: str) -> None:
    runner = CliRunner()
    for username, role, agency in ACCOUNTS:
        args = ["users", "add", username, "--role", role, "--password-stdin", "--database-url", database_url]
        if agency:
            args += ["--agency", agency]
        result = runner.invoke(cli, args, input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output


def _login(client, username: str) -> dict[str, str]:
    """Sign in with a password; the API answers with a session cookie, used from here on."""
    client.cookies.clear()
    response = client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    cookie = response.cookies.get("khumkrong_session")
    assert cookie
    client.cookies.clear()
    return {"Cookie": f"khumkrong_session={cookie}"}


def _tasks(client, who, **params):
    response = client.get(f"{API}/tasks", headers=who, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.slow
def test_a_reference_case_runs_start_to_finish_over_http(client, session, database_url):
    _accounts(database_url)
    policy = _login(client, "policy.one")
    teacher = _login(client, "teacher.takpit")
    social = _login(client, "social.worker")
    head = _login(client, "social.head")
    police = _login(client, "police.officer")
    admin = _login(client, "admin.one")

    # Policy staff upload the forms, then the protocol that uses them, and publish it.
    for key, schema in (("report_form", REPORT_FORM), ("assess_form.schema.json", ASSESS_FORM), ("note_form", NOTE_FORM)):
        assert client.put(f"{API}/forms/{key}", headers=policy, json=schema).status_code == 200
    bpmn = (FIXTURES / "reference_protocol.bpmn").read_bytes()
    draft = client.post(f"{API}/protocols/reference/drafts", headers={**policy, "Content-Type": "application/xml"}, content=bpmn)
    assert draft.status_code == 201, draft.text
    assert draft.json()["version"]["version"] == 1
    published = client.post(f"{API}/protocols/reference/versions/1/publish", headers=policy)
    assert published.status_code == 200 and published.json()["published"] is True
    # ...but they read no case data.
    assert client.get(f"{API}/cases", headers=policy).status_code == 403

    # A teacher reports a case.
    started = client.post(f"{API}/cases", headers=teacher, json={
        "protocol": "reference", "data": {}, "reporting_unit": "school_takpit",
    })
    assert started.status_code == 201, started.text
    case = started.json()
    assert case["reference"].startswith("TAK-") and case["status"] == "active"

    # The school office's list has the intake task; the social development office's is empty.
    [report] = _tasks(client, teacher)
    assert (report["task_name"], report["agency_code"], report["case_reference"]) == ("report", "spm_tak", case["reference"])
    assert _tasks(client, social) == []

    detail = client.get(f"{API}/tasks/{report['id']}", headers=teacher).json()
    assert detail["form_schema"]["properties"]["severity"]["enum"] == ["low", "high"]
    assert detail["may_work"] is True and detail["data"] == {}

    assert client.post(f"{API}/tasks/{report['id']}/claim", headers=teacher).json()["state"] == "claimed"
    assert [t["id"] for t in _tasks(client, teacher, scope="mine")] == [report["id"]]

    # Invalid form data: 422 naming each field.
    bad = client.post(f"{API}/tasks/{report['id']}/complete", headers=teacher, json={"data": {"severity": "extreme"}})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in bad.json()["errors"]] == ["severity"]

    comment = client.post(f"{API}/tasks/{report['id']}/comments", headers=teacher, json={"body": "นักเรียนมีรอยฟกช้ำ"})
    assert comment.status_code == 201
    done = client.post(f"{API}/tasks/{report['id']}/complete", headers=teacher,
                       json={"data": {"severity": "high", "summary": "bruises"}})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"

    # Now the assessment waits at the social development office, due in 24 hours.
    [assess] = _tasks(client, social)
    assert assess["task_name"] == "assess" and assess["due_at"] is not None and assess["overdue"] is False
    assert _tasks(client, teacher) == []
    # The police were never involved: the case does not exist for them.
    assert client.get(f"{API}/cases/{case['id']}", headers=police).status_code == 404

    # A day passes (simulated) with nobody acting: the deadline fires and escalates.
    moved = client.post(f"{API}/simulation/clock", headers=admin, json={"advance": "PT25H"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["timers_fired"] >= 1
    [late] = _tasks(client, social, overdue="true")
    assert late["id"] == assess["id"] and late["overdue"] is True and late["escalation_level"] == 1

    [escalation] = client.get(f"{API}/escalations", headers=head).json()["items"]
    assert (escalation["case_reference"], escalation["level"], escalation["target_agency_code"]) == (
        case["reference"], 1, "pmj_tak",
    )
    acknowledged = client.post(f"{API}/escalations/{escalation['id']}/acknowledge", headers=head,
                               json={"note": "รับทราบ มอบหมายแล้ว"})
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assert client.get(f"{API}/escalations", headers=head).json()["items"] == []

    # The overdue report counts it, by agency and protocol.
    report_rows = client.get(f"{API}/reports/overdue", headers=head).json()["rows"]
    assert report_rows == [{"agency_code": "pmj_tak", "protocol": "reference", "count": 1,
                            "oldest_due_at": report_rows[0]["oldest_due_at"]}]

    # The supervisor assigns the assessment; the worker completes it.
    social_id = client.get(f"{API}/me", headers=social).json()["id"]
    assigned = client.put(f"{API}/tasks/{assess['id']}/assignee", headers=head, json={"assignee_id": social_id})
    assert assigned.status_code == 200 and assigned.json()["assignee_username"] == "social.worker"
    assert client.post(f"{API}/tasks/{assess['id']}/complete", headers=social,
                       json={"data": {"risk": 4, "notes": "ปลอดภัย ชั่วคราว"}}).status_code == 200

    # The late branch left a follow-up at the school; finishing it closes the case.
    [follow_up] = _tasks(client, teacher)
    assert follow_up["task_name"] == "follow_up"
    assert client.post(f"{API}/tasks/{follow_up['id']}/claim", headers=teacher).status_code == 200
    assert client.post(f"{API}/tasks/{follow_up['id']}/complete", headers=teacher, json={"data": {}}).status_code == 200

    final = client.get(f"{API}/cases/{case['id']}", headers=social).json()
    assert final["status"] == "completed"
    assert {(i["task_name"], i["state"]) for i in final["work_items"]} == {
        ("report", "completed"), ("assess", "completed"), ("follow_up", "completed"),
    }
    assert [e["status"] for e in final["escalations"]] == ["acknowledged"]

    # The audit trail shows who read the case, and the refused police read.
    trail = client.get(f"{API}/cases/{case['id']}/audit", headers=head, params={"limit": 200}).json()["items"]
    actions = [e["action"] for e in trail]
    assert "access.denied" in actions and "case.viewed" in actions and "task.viewed" in actions
    denied = next(e for e in trail if e["action"] == "access.denied")
    assert denied["actor_username"] == "police.officer" and denied["client_address"]

    # Signing out ends the session.
    assert client.post(f"{API}/auth/logout", headers=teacher).status_code == 204
    assert client.get(f"{API}/me", headers=teacher).status_code == 401


@pytest.mark.slow
def test_a_p1_abuse_report_runs_over_http(client, session, database_url):
    """The Tak protocol P1 (abuse report) with its real forms: intake and triage at the social
    development office, then the police, whose 24-hour deadline for taking the complaint passes
    and escalates (the s.41 separation is the competent official's since issue 12)."""
    _accounts(database_url)
    policy, social, police = _login(client, "policy.one"), _login(client, "social.worker"), _login(client, "police.officer")
    police_head, shelter, admin = _login(client, "police.head"), _login(client, "shelter.worker"), _login(client, "admin.one")

    for path in sorted((PROJECT_ROOT / "forms").glob("p1_*.schema.json")):
        stored = client.put(f"{API}/forms/{path.name}", headers=policy, json=json.loads(path.read_text(encoding="utf-8")))
        assert stored.status_code == 200, stored.text
    bpmn = (PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn").read_bytes()
    draft = client.post(f"{API}/protocols/p1_abuse_report/drafts", headers={**policy, "Content-Type": "application/xml"}, content=bpmn)
    assert draft.status_code == 201, draft.text
    assert not [f for f in draft.json()["findings"] if f["severity"] == "error"]
    assert client.post(f"{API}/protocols/p1_abuse_report/versions/1/publish", headers=policy).status_code == 200

    case = client.post(f"{API}/cases", headers=social, json={"protocol": "p1_abuse_report", "data": {}}).json()
    [receive] = _tasks(client, social)
    assert receive["task_name"] == "receive_report" and receive["due_at"] is not None
    assert _tasks(client, police) == []
    schema = client.get(f"{API}/tasks/{receive['id']}", headers=social).json()["form_schema"]
    assert "child_first_name" in schema["required"]

    assert client.post(f"{API}/tasks/{receive['id']}/claim", headers=social).status_code == 200
    missing = client.post(f"{API}/tasks/{receive['id']}/complete", headers=social, json={"data": {"report_channel": "school"}})
    assert missing.status_code == 422
    assert {"child_first_name", "concern_type", "incident_summary"} <= {e["field"] for e in missing.json()["errors"]}
    intake = {
        "child_first_name": "ด.ญ. ดาว", "child_last_name": "ทองดี", "child_birth_date": "2011-03-14",
        "child_national_id": "1101700230708", "child_is_student": True, "report_channel": "school",
        "concern_type": ["physical_abuse"], "incident_summary": "ครูพบรอยช้ำที่แขน", "alleged_abuser_is_school_staff": False,
        "guardians": [{"name": "นาย ก", "relation": "parent", "alleged_abuser": True}],
    }
    done = client.post(f"{API}/tasks/{receive['id']}/complete", headers=social, json={"data": intake})
    assert done.status_code == 200, done.text

    [triage] = _tasks(client, social)
    assert triage["task_name"] == "triage"
    assert client.post(f"{API}/tasks/{triage['id']}/claim", headers=social).status_code == 200
    triaged = client.post(f"{API}/tasks/{triage['id']}/complete", headers=social, json={"data": {
        "risk_level": "high", "needs_separation": True, "offence_suspected": True, "alleged_abuser_in_household": True,
        "best_interests_considered": True,
    }})
    assert triaged.status_code == 200, triaged.text

    # Now the police hold the case: they see their task and the case; the shelter does not yet.
    [police_task] = _tasks(client, police)
    assert police_task["task_name"] == "police_receive" and police_task["overdue"] is False
    detail = client.get(f"{API}/cases/{case['id']}", headers=police).json()
    assert detail["child"]["first_name"] == "ด.ญ. ดาว" and detail["child"]["guardians"][0]["alleged_abuser"] is True
    assert client.get(f"{API}/cases/{case['id']}", headers=shelter).status_code == 404

    # A day and an hour with nobody acting: the 24-hour deadline escalates to the police supervisors.
    assert client.post(f"{API}/simulation/clock", headers=admin, json={"advance": "PT25H"}).status_code == 200
    assert _tasks(client, police, overdue="true")[0]["id"] == police_task["id"]
    escalations = client.get(f"{API}/escalations", headers=police_head).json()["items"]
    [late] = [e for e in escalations if e["work_item_id"] == police_task["id"]]
    assert (late["agency_code"], late["level"], late["target_role"]) == ("police_tak", 1, "supervisor")
    acknowledged = client.post(f"{API}/escalations/{late['id']}/acknowledge", headers=police_head,
                               json={"note": "ส่งเจ้าหน้าที่ไปแล้ว"})
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"

    assert client.post(f"{API}/tasks/{police_task['id']}/claim", headers=police).status_code == 200
    received = client.post(f"{API}/tasks/{police_task['id']}/complete", headers=police, json={"data": {
        "report_received_at": "2026-12-01T10:00:00+07:00", "police_log_number": "123/2569",
    }})
    assert received.status_code == 200, received.text
    assert client.get(f"{API}/cases", headers=police, params={"q": "ดาว"}).json()["total"] == 1
