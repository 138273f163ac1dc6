"""Fixtures for HTTP tests: the app on the test database with a simulated clock, and people
who hold API tokens (made directly, so tests need not pay for argon2 on every account)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from engine.clock import SimulatedClock, SystemClock
from engine.forms.service import put_form
from engine.people import auth
from engine.people.actors import Actor
from engine.settings import Settings
from tests.conftest import add_user

API = "/api/v1"

# The reference protocol's forms: a severity choice that steers its gateway, and a free note.
REPORT_FORM = {
    "type": "object", "title": "รับแจ้ง เหตุ",
    "properties": {
        "severity": {"type": "string", "enum": ["low", "high"], "title": "ความรุนแรง"},
        "summary": {"type": "string", "maxLength": 2000},
    },
    "required": ["severity"],
}
ASSESS_FORM = {
    "type": "object", "title": "ประเมิน",
    "properties": {"risk": {"type": "integer", "minimum": 1, "maximum": 5}, "notes": {"type": "string"}},
    "required": ["risk"],
}

NOTE_FORM = {"type": "object", "title": "บันทึก", "properties": {"note": {"type": "string", "maxLength": 4000}}}


@dataclass(frozen=True)
class Person:
    actor: Actor
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self) -> int:
        return self.actor.user_id


def person(session: Session, clock: SimulatedClock, username: str, role: str, agency: str | None,
           unit: str | None = None) -> Person:
    actor = add_user(session, username, role, agency, unit)
    # On the wall clock, like sign-in on a simulation server: the token expires 90 days from now.
    _, secret = auth.create_token(session, user_id=actor.user_id, name="tests", expires_at=None, actor=actor,
                                  clock=SystemClock())
    return Person(actor, secret)


@pytest.fixture
def app(database_url, clock):
    return create_app(Settings(database_url=database_url), clock=clock, simulation=True)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def staff(session, clock) -> dict[str, Person]:
    """Two agencies' workers and supervisors (the school office, social development, police),
    and the province-wide roles."""
    people = {
        "admin": person(session, clock, "admin", "admin", None),
        "policy": person(session, clock, "policy", "policy", None),
        "committee": person(session, clock, "committee", "committee", None),
    }
    for agency in ("spm_tak", "pmj_tak", "police_tak"):
        people[f"worker.{agency}"] = person(session, clock, f"worker.{agency}", "case_worker", agency)
        people[f"supervisor.{agency}"] = person(session, clock, f"supervisor.{agency}", "supervisor", agency)
    # Two schools' staff of the education office: each sees only its own school's cases.
    for unit in ("school_takpit", "school_padung"):
        people[f"worker.{unit}"] = person(session, clock, f"worker.{unit}", "case_worker", "spm_tak", unit)
    return people


@pytest.fixture
def reference_forms(session, clock) -> None:
    put_form(session, key="report_form", schema=REPORT_FORM, clock=clock)
    put_form(session, key="assess_form", schema=ASSESS_FORM, clock=clock)
    put_form(session, key="note_form", schema=NOTE_FORM, clock=clock)
    session.commit()
