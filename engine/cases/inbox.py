"""A case worker's inbox: the tasks they hold and their agency's unclaimed tasks they may take.

Answered from SQL (work items, cases, protocol versions), never by loading a workflow, a page
at a time: the inbox of an agency with ten thousand open tasks reads one page of rows and one
count, whatever the total. Overdue work comes first, then by due date (undated last).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false, func, nulls_last, or_, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import False_

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


def _seats(actor: Actor) -> list[ColumnElement[bool]]:
    """Where the actor's inbox comes from, as disjoint conditions: the tasks they hold (claimed)
    and those open in their agency for them to take; for a school's staff, only in the cases
    their school may see (a task they held leaves when the school is kept out).

    Each seat is read on its own, from an index in deadline order (its LIMIT stops the scan),
    rather than as one OR that the planner can only answer by collecting and sorting every
    match: a claimed task is never open, so the seats never share a row.
    """
    if actor.user_id is None:
        return []
    seats = [and_(WorkItem.assignee_id == actor.user_id, WorkItem.state == WorkItemState.CLAIMED.value)]
    waiting = workable_by(actor)
    if not _never(waiting):
        seats.append(and_(WorkItem.state == WorkItemState.OPEN.value, waiting))
    if actor.unit_code is not None:
        return [and_(seat, unit_visibility(actor, WorkItem.case_id)) for seat in seats]
    return seats


def _never(condition: ColumnElement[bool]) -> bool:
    return isinstance(condition, False_)


# The deadline's order, undated last, as the seats' indexes hold it: (…, due_at, id) ascending
# puts NULL last on PostgreSQL, and SQLite (which would put it first) sorts.
def _due_order(due_at, item_id) -> list[ColumnElement]:
    return [nulls_last(due_at.asc()), item_id.asc()]


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
    the deadline's. Each seat gives at most its first ``offset + limit`` tasks in that order (a
    page cannot need more from either), the page is cut from their union, and only its rows are
    joined to their cases. The total is counted per seat on the work items alone (with the
    protocols only when filtering by one).
    """
    filters: list[ColumnElement[bool]] = []
    if due_from is not None:
        filters.append(WorkItem.due_at >= due_from)
    if due_before is not None:
        filters.append(WorkItem.due_at < due_before)
    if protocol:
        of_protocol = select(Case.id).join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id).where(
            ProtocolVersion.key == protocol)
        filters.append(WorkItem.case_id.in_(of_protocol))
    seats = _seats(actor)
    if not seats:
        return Page([], 0)
    firsts = [
        select(WorkItem).where(seat, *filters).order_by(*_due_order(WorkItem.due_at, WorkItem.id)).limit(offset + limit)
        for seat in seats
    ]
    # Each seat in a subquery of its own: SQLite allows no ORDER BY or LIMIT on a compound's parts.
    candidates = union_all(*(select(first.subquery()) for first in firsts)).subquery()
    item = aliased(WorkItem, candidates)
    rows = session.execute(
        select(item, Case.reference, ProtocolVersion.key, ProtocolVersion.name, User.username)
        .join(Case, Case.id == item.case_id)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .outerjoin(User, User.id == item.assignee_id)
        .order_by(*_due_order(item.due_at, item.id))
        .limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(_sum_of(
        select(func.count()).select_from(WorkItem).where(seat, *filters).scalar_subquery() for seat in seats
    ))) or 0
    return Page([InboxEntry(*row) for row in rows], total)


def _sum_of(counts) -> ColumnElement[int]:
    """One statement adding the seats' counts (each its own index scan)."""
    total: ColumnElement[int] | None = None
    for count in counts:
        total = count if total is None else total + count
    assert total is not None
    return total


@dataclass(frozen=True)
class InboxCount:
    total: int
    overdue: int


def inbox_count(*, session: Session, actor: Actor, now: datetime) -> InboxCount:
    """How many tasks the actor's inbox holds, and how many of them are overdue (one statement,
    one count per seat)."""
    seats = _seats(actor)
    if not seats:
        return InboxCount(0, 0)
    rows = session.execute(union_all(*(
        select(func.count(), func.count(case((_overdue(now), 1)))).select_from(WorkItem).where(seat) for seat in seats
    ))).all()
    return InboxCount(sum(total or 0 for total, _ in rows), sum(overdue or 0 for _, overdue in rows))


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
