"""Rectification and restriction over HTTP (issue 14, item 1): the old value stays in the audit
trail; a restricted case says so and shares nothing until the restriction is lifted."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.children.models import Child, Guardian
from tests.api.conftest import API
from tests.engine.privacy.scenes import DAO, MALEE, case_for_child, publish_intake_protocol


@pytest.fixture
def cases(session, network, clock, staff):
    publish_intake_protocol(session, network, clock, staff["policy"].actor)
    worker = staff["worker.spm_tak"].actor
    malee = case_for_child(session, network, clock, worker, MALEE)
    dao = case_for_child(session, network, clock, worker, DAO)
    session.add(Guardian(child_id=malee.child_id, name="นายสมชาย ใจดี", relation="parent", alleged_abuser=False))
    session.commit()
    return malee, dao


def test_a_rectification_keeps_the_old_value_in_the_audit_trail(session, client, staff, cases):
    malee, _ = cases
    guardian = session.scalar(select(Guardian).where(Guardian.child_id == malee.child_id))
    answer = client.post(f"{API}/children/{malee.child_id}/rectifications", headers=staff["supervisor.spm_tak"].headers, json={
        "fields": {"last_name": "ใจงาม", "birth_date": "2011-06-01"},
        "guardians": {str(guardian.id): {"name": "นายสมชัย ใจงาม"}},
        "reason": "นามสกุลและวันเกิดสะกดผิดตามสูติบัตร", "request": "TAK-2026-000050",
    })
    assert answer.status_code == 200, answer.text
    assert answer.json()["changes"] == {
        "last_name": {"old": "ใจดี", "new": "ใจงาม"}, "birth_date": {"old": "2011-05-01", "new": "2011-06-01"},
        f"guardians[{guardian.id}].name": {"old": "นายสมชาย ใจดี", "new": "นายสมชัย ใจงาม"},
    }
    session.expire_all()
    child = session.get(Child, malee.child_id)
    assert (child.last_name, child.birth_date.isoformat()) == ("ใจงาม", "2011-06-01")
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "child.rectified")).all()
    assert event.actor_username == "supervisor.spm_tak" and event.details["request"] == "TAK-2026-000050"
    assert event.details["changes"]["last_name"] == {"old": "ใจดี", "new": "ใจงาม"}
    # The subject-access export shows the change with what it said before.
    export = client.get(f"{API}/children/{malee.child_id}/subject-access", headers=staff["supervisor.spm_tak"].headers).json()
    [change] = [c for c in export["record_changes"] if c["action"] == "child.rectified"]
    assert change["details"]["changes"]["last_name"]["old"] == "ใจดี"


def test_a_rectification_is_checked(session, client, staff, cases):
    malee, dao = cases
    head = staff["supervisor.spm_tak"].headers
    url = f"{API}/children/{malee.child_id}/rectifications"
    taken = client.post(url, headers=head, json={"fields": {"national_id": DAO["child_national_id"]}, "reason": "ผิด"})
    assert taken.status_code == 422 and taken.json()["field"] == "national_id"
    same = client.post(url, headers=head, json={"fields": {"last_name": "ใจดี"}, "reason": "ผิด"})
    assert same.status_code == 422
    unknown = client.post(url, headers=head, json={"fields": {"nickname": "มะ"}, "reason": "ผิด"})
    assert unknown.status_code == 422 and "nickname" in unknown.text
    assert client.post(url, headers=staff["worker.spm_tak"].headers,
                       json={"fields": {"last_name": "x"}, "reason": "ผิด"}).status_code == 403
    hidden = client.post(url, headers=staff["supervisor.police_tak"].headers, json={"fields": {"last_name": "x"}, "reason": "ผิด"})
    assert hidden.status_code == 404
    session.expire_all()
    assert session.get(Child, malee.child_id).last_name == "ใจดี"


def test_a_restricted_case_says_so_until_the_restriction_is_lifted(session, client, staff, cases):
    malee, _ = cases
    head = staff["supervisor.spm_tak"].headers
    restricted = client.post(f"{API}/cases/{malee.id}/restriction", headers=head,
                             json={"reason": "ผู้ปกครองขอระงับการเปิดเผยระหว่างตรวจสอบ", "request": "TAK-2026-000051"})
    assert restricted.status_code == 201, restricted.text
    detail = client.get(f"{API}/cases/{malee.id}", headers=staff["worker.spm_tak"].headers).json()
    assert detail["restriction"]["reason"] == "ผู้ปกครองขอระงับการเปิดเผยระหว่างตรวจสอบ"
    again = client.post(f"{API}/cases/{malee.id}/restriction", headers=head, json={"reason": "อีกครั้ง"})
    assert again.status_code == 409
    assert client.post(f"{API}/cases/{malee.id}/restriction", headers=staff["worker.spm_tak"].headers,
                       json={"reason": "x"}).status_code == 403
    assert client.post(f"{API}/cases/{malee.id}/restriction", headers=staff["supervisor.police_tak"].headers,
                       json={"reason": "x"}).status_code == 404
    lifted = client.post(f"{API}/cases/{malee.id}/restriction/lift", headers=staff["committee"].headers,
                         json={"note": "ตรวจสอบแล้ว"})
    assert lifted.status_code == 200 and lifted.json()["released"] == [] and lifted.json()["lifted_at"]
    assert client.get(f"{API}/cases/{malee.id}", headers=head).json()["restriction"] is None
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == malee.id))]
    assert "case.restricted" in actions and "case.restriction_lifted" in actions
