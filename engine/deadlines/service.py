"""Escalations after they are raised: climbed when nobody acknowledges them in time, and
acknowledged or resolved by the people they reach (a case raises them: cases/escalations.py).

Every change is audited and queues its notifications in the caller's transaction.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.cases.escalations import _notify, _place, _record
from engine.cases.models import Escalation, EscalationStatus, WorkItem
from engine.cases.rights import ensure_may_handle_escalation
from engine.cases.stepping import lock_case
from engine.clock import Clock
from engine.db import is_postgres
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound
from engine.network.definition import Network
from engine.people.actors import SYSTEM, Actor


def climb_due(*, session: Session, clock: Clock, network: Network) -> int:
    """Climb every open escalation whose acknowledgement period ran out; one transaction each.

    A climb is scheduled from the previous level's change, so a worker that was down climbs an
    escalation through every level it would have reached, each step audited at its due time.
    """
    climbed = 0
    busy: set[int] = set()  # escalations of cases some command holds; the next pass climbs them
    while True:
        now = clock.now()
        is_due = (Escalation.status == EscalationStatus.OPEN.value, Escalation.climb_at <= now)
        query = select(Escalation.id, Escalation.case_id).where(*is_due).order_by(Escalation.climb_at, Escalation.id).limit(1)
        if busy:
            query = query.where(Escalation.id.not_in(busy))
        found = session.execute(query).first()
        if found is None:
            session.rollback()
            return climbed
        # The case first, as every command locks it (a climb updates the case's work item).
        if lock_case(session=session, case_id=found.case_id, skip_locked=True) is None:
            session.rollback()
            busy.add(found.id)
            continue
        locked = select(Escalation).where(Escalation.id == found.id, *is_due).execution_options(populate_existing=True)
        if is_postgres(session):
            locked = locked.with_for_update(key_share=True)
        escalation = session.scalars(locked).one_or_none()
        if escalation is None:
            session.rollback()  # acknowledged or climbed meanwhile
            continue
        try:
            while escalation.climb_at is not None and escalation.climb_at <= now:
                due = escalation.climb_at
                escalation.level += 1
                _place(escalation, network, at=due)
                item = session.get(WorkItem, escalation.work_item_id) if escalation.work_item_id else None
                if item is not None:
                    item.escalation_level = max(item.escalation_level, escalation.level)
                _record(session, "escalation.climbed", escalation, actor=SYSTEM, at=due)
                _notify(session, escalation, kind="escalation.climbed", network=network, now=now)
                climbed += 1
            session.commit()
        except StaleDataError:
            session.rollback()  # acknowledged or climbed by someone else meanwhile


def _get(session: Session, escalation_id: int) -> Escalation:
    escalation = session.scalars(
        select(Escalation).where(Escalation.id == escalation_id).execution_options(populate_existing=True)
    ).one_or_none()
    if escalation is None:
        raise NotFound(f"escalation {escalation_id} does not exist", field="escalation_id")
    return escalation


def _note(note: str | None, field: str) -> str:
    if note is None or not note.strip():
        raise InvalidInput("a note is required", field=field)
    if len(note) > 4000:
        raise InvalidInput("the note is longer than 4,000 characters", field=field)
    return note.strip()


def _handle(
    session: Session, *, escalation_id: int, note: str, actor: Actor, clock: Clock,
    allowed_from: tuple[EscalationStatus, ...], to: EscalationStatus, stamp: str, note_field: str, action: str,
) -> Escalation:
    """Move an escalation on at a person's hand: it stops climbing, and the note is kept."""
    note = _note(note, "note")
    escalation = _get(session, escalation_id)
    ensure_may_handle_escalation(actor, escalation)
    # The case first, as every command locks it; then the escalation read again under that lock.
    lock_case(session=session, case_id=escalation.case_id)
    escalation = _get(session, escalation_id)
    if escalation.status not in {status.value for status in allowed_from}:
        raise InvalidState(f"escalation {escalation_id} is {escalation.status}", status=escalation.status)
    now = clock.now()
    escalation.status = to.value
    setattr(escalation, f"{stamp}_at", now)
    setattr(escalation, f"{stamp}_by_id", actor.user_id)
    setattr(escalation, note_field, note)
    escalation.climb_at = None
    _record(session, action, escalation, actor=actor, at=now, note=note)
    _commit(session, escalation_id)
    return escalation


def acknowledge(*, session: Session, escalation_id: int, note: str, actor: Actor, clock: Clock) -> Escalation:
    """Someone it reached has seen it: it stops climbing."""
    return _handle(
        session, escalation_id=escalation_id, note=note, actor=actor, clock=clock,
        allowed_from=(EscalationStatus.OPEN,), to=EscalationStatus.ACKNOWLEDGED,
        stamp="acknowledged", note_field="acknowledgement_note", action="escalation.acknowledged",
    )


def resolve(*, session: Session, escalation_id: int, note: str, actor: Actor, clock: Clock) -> Escalation:
    """The matter behind it is settled."""
    return _handle(
        session, escalation_id=escalation_id, note=note, actor=actor, clock=clock,
        allowed_from=(EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED), to=EscalationStatus.RESOLVED,
        stamp="resolved", note_field="resolution_note", action="escalation.resolved",
    )


def _commit(session: Session, escalation_id: int) -> None:
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(f"escalation {escalation_id} changed meanwhile; reload and retry") from exc
