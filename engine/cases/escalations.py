"""Escalations a running case raises: a deadline timer of a work item fired, or the process
threw a BPMN escalation event. Each is placed on the network's chain and its targets are told.

Every change is audited and queues its notifications in the caller's transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import admitted_people
from engine.cases.models import Case, Escalation, EscalationReason, EscalationStatus, WorkItem
from engine.errors import InvalidState
from engine.network.definition import Network
from engine.notify import outbox
from engine.people.actors import SYSTEM, Actor
from engine.people.models import User


def chain_of(escalation: Escalation, network: Network) -> tuple[str, ...]:
    """The targets this escalation passes through, level 1 first.

    A deadline follows the owning agency's chain. A thrown code starts at the code's target and
    carries on along the owner's chain from there (or stays put if the chain does not hold it).
    """
    chain = network.escalation_chain(escalation.agency_code)
    if escalation.reason == EscalationReason.THROWN.value:
        mapped = network.escalation_codes.get(escalation.code or "")
        start = mapped.target if mapped else (chain[0] if chain else None)
        if start is None:
            return ()
        return chain[chain.index(start):] if start in chain else (start,)
    return chain


def _place(escalation: Escalation, network: Network, *, at: datetime) -> None:
    """Point the escalation at its level's target and schedule its next climb."""
    chain = chain_of(escalation, network)
    if not chain:
        raise InvalidState("the network defines no escalation targets", agency=escalation.agency_code)
    target = network.resolve_target(chain[min(escalation.level, len(chain)) - 1], escalation.agency_code)
    escalation.target_code = target.code
    escalation.target_agency_code = target.agency_code
    escalation.target_role = target.role
    escalation.level_changed_at = at
    escalation.climb_at = (
        at + network.climb_after(escalation.agency_code, at=at) if escalation.level < len(chain) else None
    )


def _recipients(session: Session, escalation: Escalation) -> list[User]:
    query = select(User).where(User.active.is_(True), User.role_code == escalation.target_role,
                               admitted_people(session.get_one(Case, escalation.case_id)))
    if escalation.target_agency_code is not None:
        query = query.where(User.agency_code == escalation.target_agency_code)
    return list(session.scalars(query.order_by(User.id)))


def _notify(session: Session, escalation: Escalation, *, kind: str, network: Network, now: datetime) -> None:
    case = session.get_one(Case, escalation.case_id)
    item = session.get(WorkItem, escalation.work_item_id) if escalation.work_item_id else None
    late_agency = network.agencies.get(escalation.agency_code or "")
    # No escalation code in the message: codes may name what happened to the child.
    context = {
        "case_reference": case.reference,
        "task_label": item.label if item else None,
        "due_at": item.due_at if item else None,
        "level": escalation.level,
        "reason": escalation.reason,
        "agency_name_th": late_agency.name_th if late_agency else None,
        "agency_name_en": late_agency.name_en if late_agency else None,
        "climb_at": escalation.climb_at,
    }
    for person in _recipients(session, escalation):
        outbox.enqueue(
            session, kind=kind, recipient=person, context=context, now=now, case_id=case.id,
            dedupe_key=f"{kind}:{escalation.id}:level:{escalation.level}:user:{person.id}",
        )


def _record(session: Session, action: str, escalation: Escalation, *, actor: Actor, at: datetime, **details) -> None:
    audit.record(
        session, action=action, actor=actor, at=at, case_id=escalation.case_id,
        work_item_id=escalation.work_item_id, escalation_id=escalation.id, level=escalation.level,
        target=escalation.target_code, target_agency=escalation.target_agency_code, **details,
    )


def open_escalation_from(*, session: Session, work_item: WorkItem, source_element: str) -> Escalation | None:
    """The escalation this element (a deadline timer, or an escalation event on the work item's
    path) raised for this work item that nobody has acknowledged yet."""
    return session.scalar(
        select(Escalation).where(
            Escalation.work_item_id == work_item.id,
            Escalation.source_element == source_element,
            Escalation.status == EscalationStatus.OPEN.value,
        )
    )


def _add_once(session: Session, escalation: Escalation, *, work_item: WorkItem | None) -> Escalation | None:
    """Insert the escalation in a savepoint. None when it went in; when another command had just
    inserted its twin (``uq_escalations_open_element`` refused this one), that twin."""
    try:
        with session.begin_nested():
            session.add(escalation)
    except IntegrityError:
        if work_item is None or escalation.source_element is None:
            raise
        winner = open_escalation_from(session=session, work_item=work_item, source_element=escalation.source_element)
        if winner is None:
            raise
        return winner
    return None


def raise_for_deadline(
    *, session: Session, case: Case, work_item: WorkItem, timer_element: str, now: datetime, network: Network
) -> Escalation:
    """A deadline timer of ``work_item`` fired: its level is how many of its deadlines have
    raised an escalation.

    A repeating deadline that fires again while its escalation is still open raises nothing
    new: the open one already asks someone to act, and it climbs on its own. The partial unique
    index ``uq_escalations_open_element`` holds this for concurrent commands too; the insert
    runs in a savepoint, so losing that race means taking the winner's escalation.
    """
    existing = open_escalation_from(session=session, work_item=work_item, source_element=timer_element)
    if existing is not None:
        return existing
    escalation = Escalation(
        case_id=case.id, work_item_id=work_item.id, agency_code=work_item.agency_code,
        reason=EscalationReason.OVERDUE.value, code=None, source_element=timer_element,
        level=work_item.deadlines_fired + 1, status=EscalationStatus.OPEN.value, raised_at=now,
    )
    _place(escalation, network, at=now)
    twin = _add_once(session, escalation, work_item=work_item)
    if twin is not None:
        return twin
    work_item.deadlines_fired += 1
    work_item.escalation_level = max(work_item.escalation_level, escalation.level)
    _record(session, "escalation.raised", escalation, actor=SYSTEM, at=now, reason="overdue", source=timer_element)
    _notify(session, escalation, kind="escalation.raised", network=network, now=now)
    return escalation


def raise_for_code(
    *,
    session: Session,
    case: Case,
    code: str | None,
    source_element: str,
    agency_code: str | None,
    work_item: WorkItem | None,
    now: datetime,
    network: Network,
) -> Escalation:
    """The process threw a BPMN escalation event.

    Thrown again from the same element for the same work item while the first is still open (on
    the path of a repeating timer, say), it raises nothing new, like a repeating deadline."""
    if work_item is not None:
        existing = open_escalation_from(session=session, work_item=work_item, source_element=source_element)
        if existing is not None:
            return existing
    escalation = Escalation(
        case_id=case.id, work_item_id=work_item.id if work_item else None, agency_code=agency_code,
        reason=EscalationReason.THROWN.value, code=code, source_element=source_element,
        level=1, status=EscalationStatus.OPEN.value, raised_at=now,
    )
    _place(escalation, network, at=now)
    twin = _add_once(session, escalation, work_item=work_item)
    if twin is not None:
        return twin
    if work_item is not None:
        work_item.escalation_level = max(work_item.escalation_level, 1)
    _record(
        session, "escalation.raised", escalation, actor=SYSTEM, at=now, reason="thrown", code=code,
        source=source_element, known_code=code in network.escalation_codes,
    )
    _notify(session, escalation, kind="escalation.raised", network=network, now=now)
    return escalation
