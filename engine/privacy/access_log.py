"""Every read of a child's data, from the audit trail: who, when, from where (PDPA ss.30, 37(4)).

A read of case data is audited before it is answered (``engine.cases.access``), so the trail
holds them all; this module knows which events are reads and which child each one touched:

* reads of one case (its detail, a task, comments, the audit trail, an export), by ``case_id``;
* lists and searches, by the cases whose child they showed (``details["shown"]``);
* lookups of a child's record while an intake is filled in, by the records they offered
  (``details["offered"]``).

The subject-access export lists them for the child, and ``khumkrong audit reads`` for a period,
for a breach notification.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.audit import Acting, AuditEvent
from engine.cases.models import Case
from engine.children.models import Child
from engine.errors import NotFound

# Each records one read of one case's data.
CASE_READ_ACTIONS = frozenset({"case.viewed", "case.audit_viewed", "task.viewed", "task.comments_viewed", "case.exported"})
# Each names, in details["shown"], the cases whose child a page of results showed.
LIST_READ_ACTIONS = frozenset({"cases.searched", "cases.listed"})
# Each names, in details["offered"], the child records shown while an intake was filled in.
CHILD_READ_ACTIONS = frozenset({"child.matches_viewed"})
READ_ACTIONS = CASE_READ_ACTIONS | LIST_READ_ACTIONS | CHILD_READ_ACTIONS
# Reads recorded for accountability that show no child's data (an overdue export lists case
# references, tasks and due dates), so a child's access log has nothing to take from them.
READS_WITHOUT_CHILD_DATA = frozenset({"overdue.exported"})


@dataclass(frozen=True)
class DataRead:
    """One read of the child's data: who, when, from where, and what (the case, if one)."""

    event_id: int
    occurred_at: datetime
    action: str
    actor_username: str
    actor_role: str
    actor_agency: str | None
    client_address: str | None
    case_id: int | None
    case_reference: str | None
    work_item_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id, "occurred_at": self.occurred_at.isoformat(), "action": self.action,
            "actor_username": self.actor_username, "actor_role": self.actor_role, "actor_agency": self.actor_agency,
            "client_address": self.client_address, "case_reference": self.case_reference,
            "work_item_id": self.work_item_id,
        }


def _window(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    conditions = []
    if since is not None:
        conditions.append(AuditEvent.occurred_at >= since)
    if until is not None:
        conditions.append(AuditEvent.occurred_at < until)
    return conditions


def _read(event: AuditEvent, case_id: int | None, references: dict[int, str]) -> DataRead:
    return DataRead(
        event.id, event.occurred_at, event.action, event.actor_username, event.actor_role, event.actor_agency,
        event.client_address, case_id, references.get(case_id) if case_id is not None else None, event.work_item_id,
    )


def _ids(details: dict[str, Any] | None, key: str) -> set[int]:
    values = (details or {}).get(key)
    return {value for value in values if isinstance(value, int)} if isinstance(values, list) else set()


def reads_of_child(
    *, session: Session, child_id: int, since: datetime | None = None, until: datetime | None = None,
) -> list[DataRead]:
    """Every read of the child's data in [since, until), oldest first; a list that showed two of
    the child's cases counts once for each."""
    child = session.get(Child, child_id)
    if child is None:
        raise NotFound(f"child record {child_id} not found", field="child_id")
    references = {case_id: reference for case_id, reference in session.execute(
        select(Case.id, Case.reference).where(Case.child_id == child_id))}
    window = _window(since, until)
    found: list[DataRead] = []
    if references:
        found += [
            _read(event, event.case_id, references)
            for event in session.scalars(select(AuditEvent).where(
                AuditEvent.case_id.in_(references), AuditEvent.action.in_(CASE_READ_ACTIONS), *window))
        ]
    # Lists, searches and lookups name the child only inside their details, and none can predate
    # the child's record: read those of the actions concerned since then, and look inside.
    named = select(AuditEvent).where(
        AuditEvent.action.in_(LIST_READ_ACTIONS | CHILD_READ_ACTIONS), *window,
        and_(AuditEvent.occurred_at >= child.created_at),
    )
    for event in session.scalars(named):
        if event.action in CHILD_READ_ACTIONS:
            if child_id in _ids(event.details, "offered"):
                found.append(_read(event, None, references))
            continue
        found += [_read(event, case_id, references) for case_id in sorted(_ids(event.details, "shown") & set(references))]
    return sorted(found, key=lambda read: (read.occurred_at, read.event_id, read.case_id or 0))


def list_reads_of_child(
    *, session: Session, child_id: int, since: datetime | None, until: datetime | None, actor: Acting, now: datetime,
) -> list[DataRead]:
    """The reads of a child's data in a period, for a breach notification; listing them reveals
    who handled the child, so the listing is on the trail too (and committed)."""
    reads = reads_of_child(session=session, child_id=child_id, since=since, until=until)
    audit.record(session, action="child.reads_listed", actor=actor, at=now, child_id=child_id,
                 since=since.isoformat() if since else None, until=until.isoformat() if until else None,
                 reads=len(reads))
    session.commit()
    return reads
