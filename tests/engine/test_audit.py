"""The audit trail is append-only: the ORM refuses changes, and so does the database."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError

from engine import audit
from engine.audit import AuditEvent, AuditTamperingRefused
from engine.people.actors import SYSTEM


def _one_event(session, clock):
    event = audit.record(session, action="test.recorded", actor=SYSTEM, at=clock.now(), note="kept")
    session.commit()
    return event


def test_orm_refuses_to_change_or_delete_an_event(session, clock):
    event = _one_event(session, clock)
    event.action = "test.rewritten"
    with pytest.raises(AuditTamperingRefused):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditEvent, event.id))
    with pytest.raises(AuditTamperingRefused):
        session.commit()
    session.rollback()
    assert session.get(AuditEvent, event.id).action == "test.recorded"


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(action="test.rewritten"),
        delete(AuditEvent),
    ],
    ids=["update", "delete"],
)
def test_database_refuses_bulk_changes_that_bypass_the_orm(session, clock, statement):
    _one_event(session, clock)
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(statement.execution_options(synchronize_session=False))
        session.commit()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.recorded")) == 1


def test_raw_sql_cannot_rewrite_history(session, clock):
    _one_event(session, clock)
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text("UPDATE audit_events SET actor_username = 'someone else'"))
        session.commit()
    session.rollback()
    assert session.scalar(select(AuditEvent.actor_username)) == "system"


def test_event_records_who_what_when(session, clock, people):
    actor = people["social_worker"]
    event = audit.record(session, action="case.viewed", actor=actor, at=clock.now(), case_id=None, reason="review")
    session.commit()
    stored = session.get(AuditEvent, event.id)
    assert (stored.actor_id, stored.actor_username, stored.actor_role, stored.actor_agency) == (
        actor.user_id, "worker.pmj_tak", "case_worker", "pmj_tak",
    )
    assert stored.occurred_at == clock.now()
    assert stored.details == {"reason": "review"}
