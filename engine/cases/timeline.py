"""A case's history as its page tells it: the audit trail, without the record of who read it.

Every read of case data is on the trail (that is what makes reads accountable), but a history
of what happened to a child's case is about what people did: the reads are left out unless
asked for. Reading the history is itself recorded.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import AuditEvent
from engine.cases.access import record_read
from engine.cases.models import Case
from engine.db import Page, page_of
from engine.people.actors import Actor

# Actions that record a read (or a refused read) rather than something done to the case.
READ_ACTIONS = frozenset({
    "case.viewed", "case.audit_viewed", "task.viewed", "task.comments_viewed", "child.matches_viewed",
    "access.denied",
})


def case_timeline(
    *, session: Session, case: Case, actor: Actor, now: datetime, include_reads: bool = False, limit: int, offset: int
) -> Page[AuditEvent]:
    """A page of the case's history, oldest first; reading it is recorded (and committed) first."""
    record_read(session=session, action="case.audit_viewed", actor=actor, at=now, case_id=case.id)
    session.flush()
    query = select(AuditEvent).where(AuditEvent.case_id == case.id)
    if not include_reads:
        query = query.where(AuditEvent.action.not_in(tuple(READ_ACTIONS)))
    found = page_of(session, query.order_by(AuditEvent.id), limit=limit, offset=offset)
    session.commit()
    return Page([row[0] for row in found.rows], found.total)
