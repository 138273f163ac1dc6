"""The subject-access export (issue 14, item 1) of a child of the demo data: every case, task and
read of that child, nothing of another child; as JSON and as a printable Thai document."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases.models import Case, WorkItem
from engine.clock import SystemClock
from engine.demo import load_demo
from engine.people import auth
from engine.people.actors import Actor
from engine.people.models import User
from engine.privacy.access_log import CASE_READ_ACTIONS
from engine.protocols.language import current_glossary, text_problems
from engine.settings import PROJECT_ROOT
from tests.api.conftest import API, Person
from tests.bdd.steps import World

NOPO = {
    "child_first_name": "นอพอ", "child_last_name": "เส่งทอง", "child_nationality": "ไม่ทราบ", "child_language": "พม่า",
    "identity_document": "none", "interpreter_needed": True, "interpreter_language": "burmese", "unaccompanied": True,
    "trafficking_indicator": True, "trafficking_signs": ["brought_by_broker", "working_long_hours"],
    "guardians": [{"name": "ป้าหม่อง", "relation": "relative", "alleged_abuser": False}],
}
MALEE = {
    "child_first_name": "มะลิ", "child_last_name": "ใจดี", "child_birth_date": "2011-05-14",
    "child_national_id": "1103700123458", "child_is_student": True, "report_channel": "school",
    "reporter_role": "teacher", "concern_type": ["physical_abuse"],
    "incident_summary": "ครูพบรอยฟกช้ำที่แขนของมะลิ", "alleged_abuser_is_school_staff": False,
}


@pytest.fixture
def demo(session, network, clock):
    """The demo data (protocols, forms, accounts) and two children's cases run through them:
    นอพอ (P7, whose trafficking indicator refers her to P1) and มะลิ (P1)."""
    load_demo(session=session, network=network, clock=clock, protocols_dir=PROJECT_ROOT / "protocols",
              forms_dir=PROJECT_ROOT / "forms")
    users = {user.username: Actor.of(user) for user in session.scalars(select(User))}
    world = World(session=session, network=network, clock=clock, users=users)
    world.start("P7", "school_maesot")
    world.complete("spm_tak", "รับเด็กและบันทึกตัวตน", NOPO)
    nopo_p7 = session.get_one(Case, world.current_case_id)
    nopo_p1 = session.scalars(select(Case).where(Case.child_id == nopo_p7.child_id, Case.id != nopo_p7.id)).one()
    world.start("P1", "school_takpit")
    world.complete("pmj_tak", "รับแจ้งเหตุ", MALEE)
    malee_p1 = session.get_one(Case, world.current_case_id)
    return nopo_p7, nopo_p1, malee_p1


def _person(session, username: str) -> Person:
    user = session.scalar(select(User).where(User.username == username))
    _, secret = auth.create_token(session, user_id=user.id, name="tests", expires_at=None, actor=Actor.of(user),
                                  clock=SystemClock())
    return Person(Actor.of(user), secret)


@pytest.mark.slow
def test_the_export_holds_every_case_task_and_read_of_the_child_and_nothing_of_another(session, client, demo):
    nopo_p7, nopo_p1, malee_p1 = demo
    police, social = _person(session, "worker.police_tak"), _person(session, "supervisor.pmj_tak")
    committee = _person(session, "committee")
    # Reads over HTTP, of both children, by several people.
    police_task = session.scalar(select(WorkItem.id).where(WorkItem.case_id == nopo_p7.id, WorkItem.agency_code == "police_tak"))
    assert client.get(f"{API}/tasks/{police_task}", headers=police.headers).status_code == 200
    assert client.post(f"{API}/tasks/{police_task}/comments", headers=police.headers,
                       json={"body": "ล่ามภาษาพม่ามาถึงแล้ว"}).status_code == 201
    assert client.get(f"{API}/tasks/{police_task}/comments", headers=police.headers).status_code == 200
    for case in (nopo_p1, malee_p1):
        assert client.get(f"{API}/cases/{case.id}", headers=social.headers).status_code == 200
    assert client.get(f"{API}/cases", headers=social.headers, params={"q": "เส่งทอง"}).status_code == 200
    assert client.get(f"{API}/cases/{nopo_p7.id}/audit", headers=committee.headers).status_code == 200

    answer = client.get(f"{API}/children/{nopo_p7.child_id}/subject-access", headers=committee.headers,
                        params={"request": "TAK-2026-000099"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    export = answer.json()
    text = json.dumps(export, ensure_ascii=False)

    # Every case of the child, and every task of those cases.
    nopo_cases = set(session.scalars(select(Case.id).where(Case.child_id == nopo_p7.child_id)))
    assert {c["id"] for c in export["cases"]} == nopo_cases == {nopo_p7.id, nopo_p1.id}
    tasks = set(session.scalars(select(WorkItem.id).where(WorkItem.case_id.in_(nopo_cases))))
    assert {t["id"] for c in export["cases"] for t in c["tasks"]} == tasks and len(tasks) >= 3
    assert export["child"]["first_name"] == "นอพอ" and export["child"]["guardians"][0]["name"] == "ป้าหม่อง"
    intake = next(t for c in export["cases"] for t in c["tasks"] if t["task_name"] == "receive_child")
    assert intake["data"]["trafficking_indicator"] is True and intake["field_titles"]["child_first_name"]
    [comment] = [m for c in export["cases"] for t in c["tasks"] for m in t["comments"]]
    assert (comment["author"], comment["body"]) == ("worker.police_tak", "ล่ามภาษาพม่ามาถึงแล้ว")
    # The referral with its recorded PDPA basis and the documentation that explains it.
    [referral] = next(c for c in export["cases"] if c["id"] == nopo_p7.id)["referrals"]
    assert (referral["relation"], referral["message"], referral["other_reference"]) == ("referred_to", "refer_p1", nopo_p1.reference)
    assert "มาตรา 24" in referral["documentation"]
    assert (referral["legal_basis"], referral["consented_by"]) == ("legal_duty", None)

    # Every read of the child's data, and only those.
    reads = set(session.scalars(select(AuditEvent.id).where(
        AuditEvent.case_id.in_(nopo_cases), AuditEvent.action.in_(CASE_READ_ACTIONS),
    )))
    search = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "cases.searched"))
    logged = [entry["event_id"] for entry in export["access_log"]]
    assert set(logged) - {search} <= reads and search in logged
    exported = set(session.scalars(select(AuditEvent.id).where(AuditEvent.action == "case.exported")))
    assert reads - exported == set(logged) - {search}
    assert {e["by"] for e in export["access_log"]} >= {"worker.police_tak", "supervisor.pmj_tak", "committee"}
    assert all(e["from_address"] for e in export["access_log"])

    # Nothing of the other child.
    for other in ("มะลิ", "ใจดี", "1103700123458", malee_p1.reference, "ครูพบรอยฟกช้ำ"):
        assert other not in text, other

    # The export is on each case's trail, naming the request.
    recorded = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.exported")).all()
    assert {(e.case_id, e.details["request"]) for e in recorded} == {(c, "TAK-2026-000099") for c in nopo_cases}


@pytest.mark.slow
def test_the_printable_document_is_thai_and_stands_alone(session, client, demo):
    nopo_p7, _, malee_p1 = demo
    committee = _person(session, "committee")
    answer = client.get(f"{API}/children/{nopo_p7.child_id}/subject-access", headers=committee.headers,
                        params={"format": "html"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert '<html lang="th">' in page and "สำเนาข้อมูลส่วนบุคคลของเด็ก" in page and "นอพอ" in page
    assert "@page" in page and "บันทึกการเข้าถึงข้อมูล" in page and nopo_p7.reference in page
    # The referral's recorded basis, in Thai with its sections.
    assert "การปฏิบัติตามกฎหมาย (มาตรา 24)" in page
    assert "<script" not in page and "มะลิ" not in page and malee_p1.reference not in page
    # Natural Thai: the language lint finds nothing in the document's own text.
    prose = re.sub(r"<[^>]+>", "\n", page.split("<body>", 1)[1])
    assert [problem for line in prose.splitlines() for problem in text_problems(line, current_glossary())] == []
    policy = answer.headers["content-security-policy"]
    assert "style-src 'sha256-" in policy and "script-src" not in policy


@pytest.mark.slow
def test_a_supervisor_releases_only_the_cases_of_their_agency(session, client, demo):
    nopo_p7, nopo_p1, _ = demo
    police = _person(session, "supervisor.police_tak")
    export = client.get(f"{API}/children/{nopo_p7.child_id}/subject-access", headers=police.headers).json()
    assert [c["id"] for c in export["cases"]] == [nopo_p7.id] and export["scope"] == "police_tak"
    # The referral to the case the police may not release is there, without its reference.
    [referral] = export["cases"][0]["referrals"]
    assert referral["other_reference"] is None and nopo_p1.reference not in json.dumps(export, ensure_ascii=False)

    culture = _person(session, "supervisor.culture_tak")
    hidden = client.get(f"{API}/children/{nopo_p7.child_id}/subject-access", headers=culture.headers)
    assert hidden.status_code == 404
    missing = client.get(f"{API}/children/999999/subject-access", headers=culture.headers)
    assert missing.status_code == 404 and missing.json()["detail"] == hidden.json()["detail"].replace(str(nopo_p7.child_id), "999999")
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert [(e.actor_username, e.details["resource"]) for e in denied] == [("supervisor.culture_tak", "child")] * 2
    for username in ("worker.pmj_tak", "admin"):
        assert client.get(f"{API}/children/{nopo_p7.child_id}/subject-access",
                          headers=_person(session, username).headers).status_code == 403
