"""Fixtures for the pages: a browser-like client, people signed in through the API's sessions."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.deps import SESSION_COOKIE
from engine.people import auth
from engine.people.models import User
from engine.settings import PROJECT_ROOT
from tests.conftest import add_user

HTML = {"accept": "text/html,application/xhtml+xml"}
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    """A client that asks for pages as a browser does (base URL http://testserver)."""
    with TestClient(app, headers=HTML) as client:
        yield client


def sign_in(client: TestClient, session, username: str) -> User:
    """Open a session for an existing user directly (no argon2), as a browser would hold it.

    Sessions run on the app's sign-in clock (real time, even when the case clock is simulated)."""
    user = session.scalar(select(User).where(User.username == username))
    _row, secret = auth.start_session(session, user=user, client_address="testclient", user_agent="tests",
                                      clock=client.app.state.auth_clock)
    client.cookies.set(SESSION_COOKIE, secret)
    return user


def csrf_of(client: TestClient, path: str = "/home") -> str:
    """The CSRF token the pages give this client (from any page's forms)."""
    page = client.get(path)
    found = CSRF_INPUT.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def accounts(session):
    """One account per role, without passwords (they sign in through sign_in above)."""
    return {
        "admin": add_user(session, "admin", "admin", None),
        "policy": add_user(session, "policy", "policy", None),
        "committee": add_user(session, "committee", "committee", None),
        "worker": add_user(session, "worker.spm_tak", "case_worker", "spm_tak"),
        "supervisor": add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak"),
    }


@pytest.fixture
def workers(session, accounts):
    """Case workers of the agencies the case-work pages' tests need, and the accounts above."""
    return {
        "pmj": add_user(session, "worker.pmj_tak", "case_worker", "pmj_tak"),
        "pmj2": add_user(session, "worker2.pmj_tak", "case_worker", "pmj_tak"),
        "police": add_user(session, "worker.police_tak", "case_worker", "police_tak"),
        "culture": add_user(session, "worker.culture_tak", "case_worker", "culture_tak"),
        "school": accounts["worker"],
        "supervisor": accounts["supervisor"],
    }


@pytest.fixture
def tak_library(session, clock, network):
    """The Tak protocols and forms, published (the demo loader, without its accounts)."""
    from engine.forms.catalogue import load_forms
    from engine.forms.service import load_forms_folder
    from engine.people.actors import SYSTEM
    from engine.protocols import service as protocols

    load_forms_folder(session, folder=PROJECT_ROOT / "forms", clock=clock)
    session.commit()
    catalogue = load_forms(PROJECT_ROOT / "forms")
    files = sorted((PROJECT_ROOT / "protocols").glob("*.bpmn"))
    messages = {name for path in files for name in protocols.message_start_names(path.read_bytes())}
    for path in files:
        if path.stem != "p1_abuse_report" and path.stem != "p2_student_screening":
            continue
        version, _ = protocols.store_draft(session=session, key=path.stem, bpmn=path.read_bytes(), network=network,
                                           clock=clock, actor=SYSTEM, forms=catalogue, known_messages=messages)
        protocols.publish(session=session, key=path.stem, version=version.version, clock=clock, actor=SYSTEM)
    return catalogue
