"""Offering a child's existing record while an intake is filled in."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engine.audit import AuditEvent
from engine.children.models import Child
from tests.api.conftest import API


def _child(session, clock, **fields):
    child = Child(created_at=clock.now(), updated_at=clock.now(), **fields)
    session.add(child)
    session.commit()
    return child


def test_an_identifier_names_the_record_and_a_close_name_is_offered(session, clock, client, staff):
    malee = _child(session, clock, first_name="มะลิ", last_name="ใจดี", birth_date=date(2011, 5, 1),
                   national_id="1101700203450", school="school_takpit")
    _child(session, clock, first_name="สมชาย", last_name="ใจดี", birth_date=date(2011, 5, 1))
    worker = staff["worker.spm_tak"]

    exact = client.post(f"{API}/children/matches", headers=worker.headers,
                        json={"child_first_name": "ด.ญ. มะลิ", "child_national_id": "1101700203450"})
    assert exact.status_code == 200
    assert exact.json()["matches"] == [{
        "child_id": malee.id, "first_name": "มะลิ", "last_name": "ใจดี", "birth_date": "2011-05-01",
        "school": "school_takpit", "exact": True,
    }]

    close = client.post(f"{API}/children/matches", headers=worker.headers,
                        json={"child_first_name": "มะลี", "child_last_name": "ใจดี", "child_birth_date": "2011-05-01"})
    assert [(m["child_id"], m["exact"]) for m in close.json()["matches"]] == [(malee.id, False)]
    # Record fields beyond recognition (identifiers, guardians) are not offered.
    assert "national_id" not in close.json()["matches"][0]

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
