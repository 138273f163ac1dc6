"""A case worker's inbox: the tasks they hold and their agency's unclaimed tasks they may take.

Answered from SQL (work items, cases, protocol versions), never by loading a workflow, a page
at a time: the inbox of an agency with ten thousand open tasks reads one page of rows and one
count, whatever the total. Overdue work comes first, then by due date (undated last).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from engine.cases.access import unit_visibility
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, WorkItem, WorkItemState
from engine.cases.rights import may_work
from engine.db import Page
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import SUPERVISOR_ROLE, WORKING_ROLES
from engine.protocols.models import ProtocolVersion


@dataclass(frozen=True)
class InboxEntry:
    """One task as the inbox shows it."""

    item: WorkItem
    case_reference: str
    protocol_key: str
    protocol_name: str
    assignee_username: str | None

    @property
    def mine(self) -> bool:
        return self.item.state == WorkItemState.CLAIMED.value


def workable_by(actor: Actor) -> ColumnElement[bool]:
    """SQL twin of ``engine.people.roles.may_work_seat`` for the work items of one actor's agency:
    the agency's tasks that ask for no working role, for the actor's role, or (for supervisors)
    for any role."""
    if actor.is_system or actor.role not in WORKING_ROLES or actor.agency_code is None:
        return false()
    seat = WorkItem.agency_code == actor.agency_code
    if actor.role == SUPERVISOR_ROLE:
        return seat
    return and_(seat, or_(
        WorkItem.candidate_role.is_(None),
        WorkItem.candidate_role.not_in(tuple(WORKING_ROLES)),
        WorkItem.candidate_role == actor.role,
    ))


def _in_inbox(actor: Actor) -> ColumnElement[bool]:
    """Claimed by the actor, or open in their agency for them to take; for a school's staff, only
    in the cases their school may see (a task they held leaves when the school is kept out)."""
    if actor.user_id is None:
        return false()
    held = and_(WorkItem.assignee_id == actor.user_id, WorkItem.state == WorkItemState.CLAIMED.value)
    waiting = and_(WorkItem.state == WorkItemState.OPEN.value, workable_by(actor))
    if actor.unit_code is not None:
        return and_(or_(held, waiting), unit_visibility(actor, WorkItem.case_id))
    return or_(held, waiting)


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(WorkItem.state.in_(LIVE_WORK_ITEM_STATES), WorkItem.due_at.is_not(None), WorkItem.due_at < now)


def inbox(
    *,
    session: Session,
    actor: Actor,
    now: datetime,
    protocol: str | None = None,
    due_from: datetime | None = None,
    due_before: datetime | None = None,
    limit: int,
    offset: int,
) -> Page[InboxEntry]:
    """A page of the actor's inbox; ``due_from``/``due_before`` keep tasks due in that window.

    The most overdue come first because the earliest deadlines do (undated last): the order is
    the deadline's. The total is counted on the work items alone (with the protocols only when
    filtering by one), not on the page's joins.
    """
    conditions = [_in_inbox(actor)]
    if due_from is not None:
        conditions.append(WorkItem.due_at >= due_from)
    if due_before is not None:
        conditions.append(WorkItem.due_at < due_before)
    if protocol:
        of_protocol = select(Case.id).join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id).where(
            ProtocolVersion.key == protocol)
        conditions.append(WorkItem.case_id.in_(of_protocol))
    rows = session.execute(
        select(WorkItem, Case.reference, ProtocolVersion.key, ProtocolVersion.name, User.username)
        .join(Case, Case.id == WorkItem.case_id)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .outerjoin(User, User.id == WorkItem.assignee_id)
        .where(*conditions)
        .order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id)
        .limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count(WorkItem.id)).where(*conditions)) or 0
    return Page([InboxEntry(*row) for row in rows], total)


@dataclass(frozen=True)
class InboxCount:
    total: int
    overdue: int


def inbox_count(*, session: Session, actor: Actor, now: datetime) -> InboxCount:
    """How many tasks the actor's inbox holds, and how many of them are overdue (one query)."""
    total, overdue = session.execute(
        select(func.count(WorkItem.id), func.count(case((_overdue(now), 1))))
        .where(_in_inbox(actor))
    ).one()
    return InboxCount(total or 0, overdue or 0)


def next_task_for(*, session: Session, actor: Actor, case_id: int) -> WorkItem | None:
    """The case's oldest live task the actor may work (where starting a case takes them)."""
    items = session.scalars(
        select(WorkItem)
        .where(WorkItem.case_id == case_id, WorkItem.state.in_(LIVE_WORK_ITEM_STATES))
        .order_by(WorkItem.created_at, WorkItem.id)
    )
    return next((item for item in items if may_work(actor, item)), None)


def inbox_entry(*, session: Session, item: WorkItem) -> InboxEntry:
    """One work item as an inbox row (after it was claimed, say)."""
    reference, key, name = session.execute(
        select(Case.reference, ProtocolVersion.key, ProtocolVersion.name)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .where(Case.id == item.case_id)
    ).one()
    assignee = session.scalar(select(User.username).where(User.id == item.assignee_id)) if item.assignee_id else None
    return InboxEntry(item, reference, key, name, assignee)
