from __future__ import annotations

import json

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
    expected = {"admin", "policy", "committee"} | {
        f"{prefix}.{code}" for code in network.active_agencies for prefix in ("worker", "supervisor")
    }
    assert set(first.users_created) == expected and len(expected) == 23

    with session_factory() as session:
        again = load_demo(session=session, network=network, clock=clock, protocols_dir=protocols_dir, forms_dir=forms_dir)
        assert (again.users_created, again.protocols_published) == ([], [])
        assert session.scalar(select(func.count()).select_from(User)) == 23
        assert session.scalar(select(func.count()).select_from(ProtocolVersion)) == 1
        assert session.scalar(select(func.count()).select_from(Form)) == 3
        police = session.scalar(select(User).where(User.username == "supervisor.police_tak"))
        assert (police.role_code, police.agency_code) == ("supervisor", "police_tak")
        assert verify_password(police.password_hash, "tak-demo")
