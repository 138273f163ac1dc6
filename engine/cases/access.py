"""Who may read what: the visibility rules for case data, and the record of every read.

A case's details (its child, its work items, their data, its audit trail, comments) are visible
to the agencies that hold or held a work item in it, to the provincial committee and to
administrators. Policy staff manage protocols and forms and never read case data. Anything a
caller may not see is reported exactly like something that does not exist, and the refusal is
audited as ``access.denied``.

Within an agency that has reporting units (the education office and its schools), a person of a
unit sees only the cases that concern their unit (``Case.unit_code``, else the reporting unit),
and none whose alleged abuser is staff of that unit (``Case.unit_kept_out``): the school must not
read what the child said about its own staff. The agency's own staff, who belong to no unit, see
the cases of all its units. The unit rule narrows every other rule: lists, search, detail, tasks,
inboxes, escalations, overdue lists and who is told about new work.

Each rule exists twice on purpose: as a yes/no for one object, and as a SQL condition for lists,
so that lists never load cases one by one and never disagree with the detail view.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from engine import audit
from engine.cases.models import Case, Escalation, WorkItem
from engine.cases.rights import may_handle_escalation
from engine.errors import NotFound
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_READING_ROLES, ESCALATION_ROLES, PROVINCE_ROLES, SUPERVISOR_ROLE


def reads_case_data(actor: Actor) -> bool:
    return not actor.is_system and actor.role in CASE_READING_ROLES


def sees_every_case(actor: Actor) -> bool:
    return not actor.is_system and actor.role in PROVINCE_ROLES


def concerned_unit(case: Case) -> str | None:
    """The unit (a school) the case concerns: the one the intake named, else the reporting unit.

    A reporting unit that is an agency's code matches nobody's unit: unit and agency codes never
    coincide (the network definition refuses it)."""
    return case.unit_code or case.reporting_unit


def unit_admits(actor: Actor, case: Case) -> bool:
    """Whether the actor's unit, if they have one, lets them near the case at all."""
    if actor.unit_code is None:
        return True
    return not case.unit_kept_out and concerned_unit(case) == actor.unit_code


def unit_visibility(actor: Actor, case_id_column=Case.id) -> ColumnElement[bool]:
    """SQL twin of :func:`unit_admits` for the case in ``case_id_column``."""
    if actor.unit_code is None:
        return true()
    return unit_sees(actor.unit_code, case_id_column)


def unit_sees(unit_code: str | BindParameter[str], case_id_column=Case.id) -> ColumnElement[bool]:
    """The case in ``case_id_column`` is one the unit may see: :func:`unit_visibility` for a unit
    given as a value, or as a parameter of a statement built once and run for many actors."""
    unit_case = aliased(Case)
    return exists(select(unit_case.id).where(
        unit_case.id == case_id_column,
        func.coalesce(unit_case.unit_code, unit_case.reporting_unit) == unit_code,
        unit_case.unit_kept_out.is_(False),
    ))


def admitted_people(case: Case) -> ColumnElement[bool]:
    """SQL condition on users: those whose unit, if any, lets them near the case (who may be told
    about its work, or be given it)."""
    if case.unit_kept_out or concerned_unit(case) is None:
        return User.unit_code.is_(None)
    return or_(User.unit_code.is_(None), User.unit_code == concerned_unit(case))


def case_visibility(actor: Actor, case_id_column=Case.id) -> ColumnElement[bool]:
    """SQL condition: the case in ``case_id_column`` is visible to the actor."""
    if sees_every_case(actor):
        return true()
    if not reads_case_data(actor) or actor.agency_code is None:
        return false()
    return and_(
        exists(select(WorkItem.id).where(WorkItem.case_id == case_id_column, WorkItem.agency_code == actor.agency_code)),
        unit_visibility(actor, case_id_column),
    )


def holds(actor: Actor, item: WorkItem) -> bool:
    """The item is the actor's agency's and the actor belongs to no unit (whose rule needs the
    case's row): its case is visible to them without asking the database."""
    return (
        reads_case_data(actor) and actor.agency_code is not None and actor.unit_code is None
        and item.agency_code == actor.agency_code
    )


def may_see_case(*, session: Session, actor: Actor, case_id: int) -> bool:
    if sees_every_case(actor):
        return True
    if not reads_case_data(actor) or actor.agency_code is None:
        return False
    if actor.unit_code is not None:
        case = session.get(Case, case_id)
        if case is None or not unit_admits(actor, case):
            return False
    return session.scalar(
        select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.agency_code == actor.agency_code).limit(1)
    ) is not None


def sees_child_elsewhere(*, session: Session, actor: Actor, child_id: int, except_case_id: int) -> bool:
    """Whether the child's record is already on another case the actor may see."""
    return session.scalar(
        select(Case.id).where(Case.child_id == child_id, Case.id != except_case_id, case_visibility(actor)).limit(1)
    ) is not None


def escalation_visibility(actor: Actor) -> ColumnElement[bool]:
    """SQL condition matching ``rights.may_handle_escalation``: the escalations the actor may handle."""
    if actor.is_system or actor.role not in ESCALATION_ROLES:
        return false()
    if actor.role in PROVINCE_ROLES:
        return true()
    if actor.unit_code is not None:
        return and_(_escalation_reach(actor), unit_visibility(actor, Escalation.case_id))
    return _escalation_reach(actor)


def _escalation_reach(actor: Actor) -> ColumnElement[bool]:
    reached = and_(
        Escalation.target_role == actor.role,
        or_(Escalation.target_agency_code.is_(None), Escalation.target_agency_code == actor.agency_code),
    )
    if actor.role == SUPERVISOR_ROLE and actor.agency_code is not None:
        return or_(reached, Escalation.agency_code == actor.agency_code)
    return reached


def record_read(
    *,
    session: Session,
    action: str,
    actor: Actor,
    at: datetime,
    case_id: int | None = None,
    work_item_id: int | None = None,
    **details: Any,
) -> None:
    """A read of case data, in the caller's transaction (the caller commits before answering)."""
    audit.record(session, action=action, actor=actor, at=at, case_id=case_id, work_item_id=work_item_id, **details)


def record_denied(
    *,
    session: Session,
    actor: Actor,
    at: datetime,
    resource: str,
    resource_id: int | str,
    case_id: int | None = None,
    work_item_id: int | None = None,
    attempted: str,
) -> None:
    """A refused read or action on case data, committed at once: the refusal is what is answered."""
    audit.record(
        session, action="access.denied", actor=actor, at=at, case_id=case_id, work_item_id=work_item_id,
        resource=resource, resource_id=resource_id, attempted=attempted, exists=case_id is not None,
    )
    session.commit()


def commit_read(
    *,
    session: Session,
    action: str,
    actor: Actor,
    at: datetime,
    case_id: int | None = None,
    work_item_id: int | None = None,
    **details: Any,
) -> None:
    """A read of case data, recorded and committed before it is answered."""
    record_read(session=session, action=action, actor=actor, at=at, case_id=case_id, work_item_id=work_item_id, **details)
    session.commit()


# -- one object, or an audited "not found" ------------------------------------------------------


def visible_case(*, session: Session, actor: Actor, case_id: int, now: datetime, attempted: str) -> Case:
    """The case, if the actor may see it; otherwise the refusal is audited and it is not found."""
    case = session.get(Case, case_id)
    if case is None or not may_see_case(session=session, actor=actor, case_id=case.id):
        record_denied(session=session, actor=actor, at=now, resource="case", resource_id=case_id,
                      case_id=case.id if case else None, attempted=attempted)
        raise NotFound(f"case {case_id} not found", field="case_id")
    return case


def visible_item(*, session: Session, actor: Actor, work_item_id: int, now: datetime, attempted: str) -> WorkItem:
    """The work item, if the actor may see its case; otherwise audited, and not found."""
    item = session.get(WorkItem, work_item_id)
    if item is None or not (holds(actor, item) or may_see_case(session=session, actor=actor, case_id=item.case_id)):
        record_denied(session=session, actor=actor, at=now, resource="task", resource_id=work_item_id,
                      case_id=item.case_id if item else None, work_item_id=item.id if item else None,
                      attempted=attempted)
        raise NotFound(f"task {work_item_id} not found", field="task_id")
    return item


def visible_escalation(
    *, session: Session, actor: Actor, escalation_id: int, now: datetime, attempted: str
) -> Escalation:
    """The escalation, if the actor may handle it or see its case; otherwise audited, not found.

    Refusing here, before the handling rules run, keeps an escalation of someone else's case from
    answering differently from one that does not exist.
    """
    escalation = session.get(Escalation, escalation_id)
    if escalation is None or not (
        (may_handle_escalation(actor, escalation) and _unit_admits_case(session, actor, escalation.case_id))
        or may_see_case(session=session, actor=actor, case_id=escalation.case_id)
    ):
        record_denied(session=session, actor=actor, at=now, resource="escalation", resource_id=escalation_id,
                      case_id=escalation.case_id if escalation else None, attempted=attempted)
        raise NotFound(f"escalation {escalation_id} not found", field="escalation_id")
    return escalation


def ensure_unit_admits(*, session: Session, actor: Actor, item: WorkItem) -> None:
    """Working a task needs its case in sight: a school's staff cannot take or complete a task
    of a case their school may not see, which answers as if the task did not exist."""
    if not _unit_admits_case(session, actor, item.case_id):
        raise NotFound(f"task {item.id} not found", field="task_id")


def _unit_admits_case(session: Session, actor: Actor, case_id: int) -> bool:
    if actor.unit_code is None:
        return True
    case = session.get(Case, case_id)
    return case is not None and unit_admits(actor, case)
