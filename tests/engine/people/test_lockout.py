"""Password guessing: counted atomically, locked per (name, address), slowed per name, and
never a way for a stranger to lock a colleague out (issue 9, item 7)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.people import auth
from engine.people.models import User
from engine.people.passwords import hash_password

PASSWORD = "correct horse battery"
OFFICE = "10.20.30.40"  # where the colleague signs in from
STRANGER = "198.51.100.7"


@pytest.fixture
def colleague(session, clock) -> str:
    session.add(User(username="worker.pmj_tak", display_name="colleague", role_code="case_worker", agency_code="pmj_tak",
                     password_hash=hash_password(PASSWORD), active=True, created_at=clock.now()))
    session.commit()
    return "worker.pmj_tak"


def _try(session_factory, clock, username: str, password: str, address: str | None) -> str:
    """'ok', 'wrong' (checked and refused) or 'locked' (refused without checking)."""
    with session_factory() as session:
        try:
            auth.authenticate(session, username=username, password=password, client_address=address, clock=clock)
        except auth.Unauthenticated:
            return "wrong"
        except auth.TooManyAttempts:
            return "locked"
        session.commit()
        return "ok"


def test_forty_simultaneous_wrong_passwords_are_checked_only_up_to_the_limit(session_factory, clock, colleague, monkeypatch):
    checked = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda digest, password: checked.append(1) or real_verify(digest, password))
    barrier = threading.Barrier(40)
    outcomes: list[str] = []

    def guess() -> None:
        barrier.wait()
        outcomes.append(_try(session_factory, clock, colleague, "a wrong guess", STRANGER))

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["locked"] * 35 + ["wrong"] * auth.ACCOUNT_FAILURE_LIMIT
    assert len(checked) == auth.ACCOUNT_FAILURE_LIMIT


def test_a_stranger_cannot_lock_a_colleague_out(session_factory, session, clock, colleague):
    assert _try(session_factory, clock, colleague, PASSWORD, OFFICE) == "ok"
    clock.advance(timedelta(hours=1))
    for _ in range(auth.ACCOUNT_FAILURE_LIMIT):
        assert _try(session_factory, clock, colleague, "a guess", STRANGER) == "wrong"
    # The stranger's address is locked out of this name, even with the right password...
    assert _try(session_factory, clock, colleague, PASSWORD, STRANGER) == "locked"
    # ...but the colleague signs in as usual, from the office or from anywhere else.
    assert _try(session_factory, clock, colleague, PASSWORD, OFFICE) == "ok"
    assert _try(session_factory, clock, colleague, PASSWORD, "192.0.2.1") == "ok"
    locked = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.locked_out")).all()
    assert [(e.client_address, e.details["scope"]) for e in locked] == [(STRANGER, "account")]


def test_guesses_from_many_addresses_are_slowed_per_name_but_the_usual_address_gets_in(session_factory, clock, colleague):
    assert _try(session_factory, clock, colleague, PASSWORD, OFFICE) == "ok"
    botnet = (f"203.0.113.{n}" for n in range(1, 250))
    for _ in range(auth.NAME_FAILURE_LIMIT):
        assert _try(session_factory, clock, colleague, "a guess", next(botnet)) == "wrong"
    # Past the limit every new address waits its turn: one guess per back-off, each one longer.
    waits = []
    for _ in range(4):
        assert _try(session_factory, clock, colleague, "a guess", next(botnet)) == "locked"
        with session_factory() as reader:
            until = auth.locked_until(reader, colleague, now=clock.now())
        waits.append(until - clock.now())
        clock.advance(waits[-1] + timedelta(seconds=1))
        assert _try(session_factory, clock, colleague, "a guess", next(botnet)) == "wrong"
    assert waits == sorted(waits) and waits[0] < waits[-1] <= auth.LOCK_PERIOD
    # The colleague's own address is not slowed at all; a new one of hers is, briefly.
    assert _try(session_factory, clock, colleague, PASSWORD, OFFICE) == "ok"
    assert _try(session_factory, clock, colleague, PASSWORD, "192.0.2.1") == "locked"


def test_an_administrator_unlock_lifts_every_lock_on_the_name(session_factory, session, clock, colleague):
    for n in range(auth.NAME_FAILURE_LIMIT):
        _try(session_factory, clock, colleague, "a guess", STRANGER if n < auth.ACCOUNT_FAILURE_LIMIT else f"203.0.113.{n}")
    assert _try(session_factory, clock, colleague, PASSWORD, STRANGER) == "locked"
    assert auth.locked_until(session, colleague, now=clock.now()) is not None
    auth.unlock(session, username=colleague, actor=auth._anonymous("admin", None), clock=clock)
    assert auth.locked_until(session, colleague, now=clock.now()) is None
    assert _try(session_factory, clock, colleague, PASSWORD, STRANGER) == "ok"
    assert _try(session_factory, clock, colleague, PASSWORD, "192.0.2.1") == "ok"
