"""Accounts as administrators manage them: states, role and agency changes, re-enabling."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.errors import InvalidInput, NotFound
from engine.people import accounts as account_service
from engine.people.auth import ACCOUNT_FAILURE_LIMIT, Unauthenticated, authenticate
from engine.people.directory import accounts, change_role, enable_user, find_user


@pytest.fixture
def admin(people, session):
    from tests.conftest import add_user

    return add_user(session, "root", "admin", None)


def test_states_are_active_disabled_or_locked(session, clock, people, admin):
    account_service.set_password(session, username="worker.pmj_tak", password="a long password", actor=admin, clock=clock)
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        with pytest.raises(Unauthenticated):
            authenticate(session, username="worker.pmj_tak", password="nope", client_address=None, clock=clock)
    account_service.disable_user(session, username="worker.police_tak", actor=admin, clock=clock)
    states = {a.user.username: a.state for a in accounts(session=session, now=clock.now())}
    assert states["worker.pmj_tak"] == "locked"
    assert states["worker.police_tak"] == "disabled"
    assert states["worker.spm_tak"] == "active"


def test_a_role_change_checks_the_agency_rule_and_is_audited(session, clock, people, admin):
    user = change_role(session=session, username="worker.spm_tak", role="supervisor", agency="pmj_tak", actor=admin, clock=clock)
    assert (user.role_code, user.agency_code) == ("supervisor", "pmj_tak")
    change_role(session=session, username="worker.spm_tak", role="committee", agency=None, actor=admin, clock=clock)
    for role, agency in (("committee", "pmj_tak"), ("case_worker", None), ("case_worker", "no_such_agency"), ("boss", None)):
        with pytest.raises(InvalidInput):
            change_role(session=session, username="worker.spm_tak", role=role, agency=agency, actor=admin, clock=clock)
    session.rollback()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.role_changed")).all()
    assert [(e.details["role_before"], e.details["role"]) for e in events] == [("case_worker", "supervisor"), ("supervisor", "committee")]
    with pytest.raises(NotFound):
        find_user(session=session, username="nobody")


def test_a_disabled_person_can_be_let_back_in(session, clock, people, admin):
    account_service.disable_user(session, username="worker.spm_tak", actor=admin, clock=clock)
    assert enable_user(session=session, username="worker.spm_tak", actor=admin, clock=clock).active
    enable_user(session=session, username="worker.spm_tak", actor=admin, clock=clock)  # already active: no second event
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "user.enabled")).all() == ["user.enabled"]
