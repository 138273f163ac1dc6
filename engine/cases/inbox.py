"""A case worker's inbox: the tasks they hold and their agency's unclaimed tasks they may take.

Answered from SQL (work items, cases, protocol versions), never by loading a workflow, a page
at a time: the inbox of an agency with ten thousand open tasks reads one page of rows and one
count, whatever the total. Overdue work comes first, then by due date (undated last).
"""
from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    nulls_last,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from engine.cases.access import unit_sees
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
    if not _takes_open_work(actor):
        return false()
    seat = WorkItem.agency_code == actor.agency_code
    if actor.role == SUPERVISOR_ROLE:
        return seat
    return and_(seat, _asks_for(actor.role))


def _takes_open_work(actor: Actor) -> bool:
    return not actor.is_system and actor.role in WORKING_ROLES and actor.agency_code is not None


def _asks_for(role: str | BindParameter[str]) -> ColumnElement[bool]:
    """A task the role may take: it asks for no working role, or for this one."""
    return or_(
        WorkItem.candidate_role.is_(None),
        WorkItem.candidate_role.not_in(tuple(WORKING_ROLES)),
        WorkItem.candidate_role == role,
    )


# -- the inbox's statements, built once per shape ------------------------------------------------
#
# An inbox is the union of two seats, disjoint (a claimed task is never open): the tasks the
# actor holds, and those open in their agency for them to take; for a school's staff, only in
# the cases their school may see (a task they held leaves when the school is kept out). Each
# seat is read on its own, from an index in deadline order whose LIMIT stops the scan, instead
# of one OR that the planner can only answer by collecting and sorting every match. The
# statements are built once for each shape, with the actor and the filters as parameters:
# building a union of subqueries costs more than running it.


@dataclass(frozen=True)
class _Shape:
    """What an inbox statement's SQL depends on (its values are the statement's parameters)."""

    open_seat: bool  # the actor takes their agency's open tasks
    any_role: bool  # …whatever working role they ask for (supervisors)
    unit: bool  # the actor's school narrows both seats
    due_from: bool
    due_before: bool
    protocol: bool


def _shape(actor: Actor, *, due_from: datetime | None = None, due_before: datetime | None = None,
           protocol: str | None = None) -> _Shape | None:
    """The actor's statement shape, None when their inbox is empty whatever the data."""
    if actor.user_id is None:
        return None
    open_seat = _takes_open_work(actor)
    return _Shape(open_seat, open_seat and actor.role == SUPERVISOR_ROLE, actor.unit_code is not None,
                  due_from is not None, due_before is not None, bool(protocol))


def _parameters(actor: Actor, **values: object) -> dict[str, object]:
    return {"user_id": actor.user_id, "agency_code": actor.agency_code, "role": actor.role,
            "unit_code": actor.unit_code, **values}


def _seats(shape: _Shape) -> list[ColumnElement[bool]]:
    seats = [and_(WorkItem.assignee_id == bindparam("user_id"), WorkItem.state == WorkItemState.CLAIMED.value)]
    if shape.open_seat:
        waiting = [WorkItem.state == WorkItemState.OPEN.value, WorkItem.agency_code == bindparam("agency_code")]
        if not shape.any_role:
            waiting.append(_asks_for(bindparam("role")))
        seats.append(and_(*waiting))
    if shape.unit:
        return [and_(seat, unit_sees(bindparam("unit_code"), WorkItem.case_id)) for seat in seats]
    return seats


def _filters(shape: _Shape) -> list[ColumnElement[bool]]:
    filters = []
    if shape.due_from:
        filters.append(WorkItem.due_at >= bindparam("due_from"))
    if shape.due_before:
        filters.append(WorkItem.due_at < bindparam("due_before"))
    if shape.protocol:
        filters.append(WorkItem.case_id.in_(
            select(Case.id).join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
            .where(ProtocolVersion.key == bindparam("protocol"))
        ))
    return filters


# The deadline's order, undated last, as the seats' indexes hold it: (…, due_at, id) ascending
# puts NULL last on PostgreSQL, and SQLite (which would put it first) sorts.
def _due_order(due_at, item_id) -> list[ColumnElement]:
    return [nulls_last(due_at.asc()), item_id.asc()]


@functools.lru_cache(maxsize=64)
def _page_statements(shape: _Shape) -> tuple[Select, Select]:
    """A page of the inbox, and its total: each seat gives at most its first ``window``
    (offset + limit) tasks in deadline order, by id and deadline only; the page is cut from
    their union and only its rows are joined to their cases. Each seat is in a subquery of its
    own (SQLite allows no ORDER BY or LIMIT on a compound's parts). The total adds the seats'
    counts, each on the work items alone (with the protocols only when filtering by one)."""
    seats, filters = _seats(shape), _filters(shape)
    window = bindparam("window", type_=Integer)
    firsts = [
        select(WorkItem.id, WorkItem.due_at).where(seat, *filters)
        .order_by(*_due_order(WorkItem.due_at, WorkItem.id)).limit(window).subquery()
        for seat in seats
    ]
    candidates = union_all(*(select(first.c.id, first.c.due_at) for first in firsts)).subquery()
    page = (
        select(WorkItem, Case.reference, ProtocolVersion.key, ProtocolVersion.name, User.username)
        .select_from(candidates)
        .join(WorkItem, WorkItem.id == candidates.c.id)
        .join(Case, Case.id == WorkItem.case_id)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .outerjoin(User, User.id == WorkItem.assignee_id)
        .order_by(*_due_order(candidates.c.due_at, candidates.c.id))
        .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    )
    counts = [select(func.count()).select_from(WorkItem).where(seat, *filters).scalar_subquery() for seat in seats]
    return page, select(functools.reduce(operator.add, counts))


@functools.lru_cache(maxsize=16)
def _count_statement(shape: _Shape) -> CompoundSelect:
    overdue = and_(WorkItem.due_at.is_not(None), WorkItem.due_at < bindparam("now"))
    return union_all(*(
        select(func.count(), func.count(case((overdue, 1)))).select_from(WorkItem).where(seat)
        for seat in _seats(shape)
    ))


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
    the deadline's. One statement reads the page, one counts it (:func:`_page_statements`).
    """
    shape = _shape(actor, due_from=due_from, due_before=due_before, protocol=protocol)
    if shape is None:
        return Page([], 0)
    page, total = _page_statements(shape)
    parameters = _parameters(actor, due_from=due_from, due_before=due_before, protocol=protocol)
    rows = session.execute(page, {**parameters, "window": offset + limit, "limit": limit, "offset": offset}).all()
    return Page([InboxEntry(*row) for row in rows], session.scalar(total, parameters) or 0)


@dataclass(frozen=True)
class InboxCount:
    total: int
    overdue: int


def inbox_count(*, session: Session, actor: Actor, now: datetime) -> InboxCount:
    """How many tasks the actor's inbox holds, and how many of them are overdue (one statement,
    one count per seat; every task in an inbox is live)."""
    shape = _shape(actor)
    if shape is None:
        return InboxCount(0, 0)
    rows = session.execute(_count_statement(shape), _parameters(actor, now=now)).all()
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
