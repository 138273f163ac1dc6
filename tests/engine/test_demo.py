from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.demo import load_demo
from engine.forms.models import Form
from engine.people.models import User
from engine.people.passwords import hash_password, verify_password
from engine.protocols.models import ProtocolVersion
from tests.conftest import FIXTURES


def test_passwords_are_argon2_and_verify():
    hashed = hash_password("ความลับ-123")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "ความลับ-123")
    assert not verify_password(hashed, "ความลับ-124")
    assert not verify_password(None, "x") and not verify_password("not-a-hash", "x")


@pytest.mark.slow
def test_demo_loads_protocols_forms_and_accounts_once(session_factory, network, clock, tmp_path, monkeypatch):
    protocols_dir, forms_dir = tmp_path / "protocols", tmp_path / "forms"
    protocols_dir.mkdir()
    forms_dir.mkdir()
    (protocols_dir / "reference.bpmn").write_text((FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8"), encoding="utf-8")
    for key in ("report_form", "assess_form", "note_form"):
        (forms_dir / f"{key}.schema.json").write_text(json.dumps({
            "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "title": key,
            "properties": {"severity": {"type": "string", "title": "ความรุนแรง"}},
        }), encoding="utf-8")
    monkeypatch.setenv(network.demo_password_env, "tak-demo")

    with session_factory() as session:
        first = load_demo(session=session, network=network, clock=clock, protocols_dir=protocols_dir, forms_dir=forms_dir)
    assert first.password == "tak-demo" and first.forms == 3
    assert first.protocols_published == ["reference v1"]
    # A worker and a supervisor per active agency, and per school (a school's staff).
    expected = {"admin", "policy", "committee"} | {
        f"{prefix}.{code}" for code in (*network.active_agencies, *network.units) for prefix in ("worker", "supervisor")
    }
    assert set(first.users_created) == expected and len(expected) == 31

    with session_factory() as session:
        again = load_demo(session=session, network=network, clock=clock, protocols_dir=protocols_dir, forms_dir=forms_dir)
        assert (again.users_created, again.protocols_published) == ([], [])
        assert session.scalar(select(func.count()).select_from(User)) == 31
        assert session.scalar(select(func.count()).select_from(ProtocolVersion)) == 1
        assert session.scalar(select(func.count()).select_from(Form)) == 3
        police = session.scalar(select(User).where(User.username == "supervisor.police_tak"))
        assert (police.role_code, police.agency_code) == ("supervisor", "police_tak")
        assert verify_password(police.password_hash, "tak-demo")
        school = session.scalar(select(User).where(User.username == "worker.school_takpit"))
        assert (school.role_code, school.agency_code, school.unit_code) == ("case_worker", "spm_tak", "school_takpit")
        assert police.unit_code is None


@pytest.mark.slow
def test_the_living_demo_gives_every_agency_real_work_and_is_added_once(session_factory, network, clock, monkeypatch):
    """P1–P9 played on a simulated history ending now: closed and running cases, overdue work,
    escalations at levels 1 and 2, a referral between agencies, work in every agency's inbox."""
    from engine.audit import AuditEvent
    from engine.cases.inbox import inbox_count
    from engine.cases.models import Case, CaseLink, Escalation
    from engine.people.actors import Actor
    from engine.settings import PROJECT_ROOT

    monkeypatch.setenv(network.demo_password_env, "tak-demo")
    end = clock.now()
    with session_factory() as session:
        report = load_demo(session=session, network=network, clock=clock, protocols_dir=PROJECT_ROOT / "protocols",
                           forms_dir=PROJECT_ROOT / "forms", cases=True)
        assert report.cases_started == 16 and clock.now() == end  # the server's clock is not moved
        cases = session.scalars(select(Case)).all()
        keys = {session.get(ProtocolVersion, case.protocol_version_id).key[:2] for case in cases}
        assert keys == {f"p{n}" for n in range(1, 10)}
        assert {case.status for case in cases} == {"active", "completed"}
        assert max(case.created_at for case in cases) <= end and min(case.created_at for case in cases) < end - timedelta(days=20)
        levels = {e.level for e in session.scalars(select(Escalation))}
        assert {1, 2} <= levels
        assert session.scalar(select(func.count()).select_from(Escalation).where(Escalation.status == "acknowledged")) >= 1
        link = session.scalar(select(CaseLink))
        referrer, referred = session.get(Case, link.from_case_id), session.get(Case, link.to_case_id)
        assert (session.get(ProtocolVersion, referrer.protocol_version_id).key,
                session.get(ProtocolVersion, referred.protocol_version_id).key) == ("p2_student_screening", "p1_abuse_report")
        # The audit trail is the engine's own: the commands wrote it, at the simulated moments.
        started = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.started")).all()
        assert len(started) == 17 and all(event.occurred_at <= end for event in started)  # 16 and the referral
        for code in network.active_agencies:
            worker = Actor.of(session.scalar(select(User).where(User.username == f"worker.{code}")))
            assert inbox_count(session=session, actor=worker, now=end).total >= 1, code
        overdue = inbox_count(session=session, actor=Actor.of(session.scalar(select(User).where(User.username == "worker.pmj_tak"))), now=end)
        assert overdue.overdue >= 1

    with session_factory() as session:
        again = load_demo(session=session, network=network, clock=clock, protocols_dir=PROJECT_ROOT / "protocols",
                          forms_dir=PROJECT_ROOT / "forms", cases=True)
        assert again.cases_started == 0 and session.scalar(select(func.count()).select_from(Case)) == 17
