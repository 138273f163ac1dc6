"""The logs hold no child's data (issue 14, item 5): the demo server, logging at DEBUG, takes a
P1 report of a named child with a national ID over HTTP — searched for, looked up, refused once,
completed, read — and every line it wrote is JSON that names neither the child, the guardians
nor the ID."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx2 as httpx
import pytest

from tests.api.conftest import API
from tests.processes import free_port, wait_ready

CHILD_FIRST, CHILD_LAST = "ด.ญ. ดาวเรือง", "ทองคำดี"
NATIONAL_ID = "1101700230708"
GUARDIAN = "นางสมศรี ทองคำดี"
SUMMARY = "ครูพบรอยช้ำที่แขนของดาวเรือง"
SECRETS = (CHILD_FIRST, "ดาวเรือง", CHILD_LAST, NATIONAL_ID, "สมศรี", SUMMARY)
INTAKE = {
    "child_first_name": CHILD_FIRST, "child_last_name": CHILD_LAST, "child_birth_date": "2011-03-14",
    "child_national_id": NATIONAL_ID, "child_is_student": True, "report_channel": "school",
    "concern_type": ["physical_abuse"], "incident_summary": SUMMARY, "alleged_abuser_is_school_staff": False,
    "guardians": [{"name": GUARDIAN, "relation": "parent", "alleged_abuser": True}],
}


def _sign_in(client: httpx.Client, username: str) -> dict[str, str]:
    answer = client.post(f"{API}/auth/login", json={"username": username, "password": "demo"})
    assert answer.status_code == 200, answer.text
    return {"Cookie": f"khumkrong_session={answer.cookies['khumkrong_session']}"}


def _tasks_of(client: httpx.Client, headers: dict[str, str], case_id: int) -> list[dict]:
    """The open tasks of one case (the demo's own cases are in the inbox too)."""
    items = client.get(f"{API}/tasks", headers=headers, params={"limit": 200}).json()["items"]
    return [item for item in items if item["case_id"] == case_id]


def _drive_p1(base: str) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        social = _sign_in(client, "worker.pmj_tak")
        police = _sign_in(client, "worker.police_tak")
        client.cookies.clear()
        case = client.post(f"{API}/cases", headers=social, json={"protocol": "p1_abuse_report", "data": {}})
        assert case.status_code == 201, case.text
        [receive] = _tasks_of(client, social, case.json()["id"])
        assert client.post(f"{API}/tasks/{receive['id']}/claim", headers=social).status_code == 200
        looked_up = client.post(f"{API}/children/matches", headers=social, json={
            "child_first_name": CHILD_FIRST, "child_last_name": CHILD_LAST, "child_national_id": NATIONAL_ID,
            "task_id": receive["id"],
        })
        assert looked_up.status_code == 200, looked_up.text
        # Refused once (no concern type), the child's details in the refused body.
        refused = client.post(f"{API}/tasks/{receive['id']}/complete", headers=social,
                              json={"data": {**INTAKE, "concern_type": ["not-a-concern"]}})
        assert refused.status_code == 422
        done = client.post(f"{API}/tasks/{receive['id']}/complete", headers=social, json={"data": INTAKE})
        assert done.status_code == 200, done.text
        [triage] = _tasks_of(client, social, case.json()["id"])
        client.post(f"{API}/tasks/{triage['id']}/claim", headers=social)
        triaged = client.post(f"{API}/tasks/{triage['id']}/complete", headers=social, json={"data": {
            "risk_level": "high", "needs_separation": True, "offence_suspected": True,
            "alleged_abuser_in_household": True, "best_interests_considered": True,
        }})
        assert triaged.status_code == 200, triaged.text
        found = client.get(f"{API}/cases", headers=police, params={"q": "ดาวเรือง"})
        assert found.status_code == 200 and found.json()["total"] == 1
        detail = client.get(f"{API}/cases/{case.json()['id']}", headers=police)
        assert detail.json()["child"]["national_id"] == NATIONAL_ID
        comment = client.post(f"{API}/tasks/{triage['id']}/comments", headers=social, json={"body": f"{CHILD_FIRST} ปลอดภัย"})
        assert comment.status_code == 201
        # A name in the path itself, where no route takes it.
        assert client.get(f"{API}/cases/ดาวเรือง", headers=police).status_code in (404, 422)
        assert client.get(f"/{NATIONAL_ID}/{CHILD_LAST}").status_code == 404


@pytest.mark.slow
def test_the_demo_logs_json_lines_that_name_no_child(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "KHUMKRONG_LOG_LEVEL": "DEBUG", "KHUMKRONG_DEMO_PASSWORD": "demo",
                   "KHUMKRONG_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "serve", "--demo", "--port", str(port),
             "--worker-interval", "1"],
            stdout=subprocess.DEVNULL, stderr=sink, env=environment,
        )
        try:
            wait_ready(base, server)
            _drive_p1(base)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    text = stderr.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    decoded = json.dumps(records, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text and secret not in decoded, f"{secret!r} is in the logs"
    requests = [r for r in records if r["logger"] == "khumkrong.request"]
    routes = {(r["route"], r["status"]) for r in requests}
    assert (f"{API}/tasks/{{task_id}}/complete", 422) in routes and (f"{API}/tasks/{{task_id}}/complete", 200) in routes
    assert (f"{API}/cases", 200) in routes and (None, 404) in routes
    assert all(r["request_id"] and r["user_id"] for r in requests if r["route"] == f"{API}/tasks/{{task_id}}/complete")
    # The worker ran in that process too, at DEBUG, and wrote JSON like the rest.
    assert {"time", "level", "logger", "message"} <= set(records[0])
