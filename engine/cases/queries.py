"""Questions about cases and tasks answered from SQL (task lists, case search), and the one
read that needs a workflow: a task's current form data for its detail view.
"""
from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    any_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.orm import Session

from engine.cases.access import case_visibility, reads_case_data, sees_every_case, unit_visibility
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, WorkItem
from engine.cases.state import workflow_from_rows
from engine.children.models import Child
from engine.db import is_postgres
from engine.errors import Forbidden, InvalidInput
from engine.forms.catalogue import schema_fields
from engine.forms.service import form_schema
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols.cache import version_cache
from engine.protocols.models import ProtocolVersion
from engine.workflow.running import task_data

log = logging.getLogger(__name__)


class TaskScope(str, enum.Enum):
    MINE = "mine"
    AGENCY = "agency"
    ALL = "all"


def default_scope(actor: Actor) -> TaskScope:
    return TaskScope.AGENCY if actor.agency_code else TaskScope.ALL


def task_list_query(
    actor: Actor,
    *,
    now: datetime,
    scope: TaskScope | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    due_before: datetime | None = None,
    protocol: str | None = None,
    agency: str | None = None,
) -> Select:
    """Work items with their case reference, protocol key and assignee name, overdue first,
    then by due date (undated last). Never loads a workflow."""
    if not reads_case_data(actor):
        raise Forbidden(f"{actor.role} does not work with case data", role=actor.role)
    scope = scope or default_scope(actor)
    live = WorkItem.state.in_(LIVE_WORK_ITEM_STATES)
    is_overdue = and_(live, WorkItem.due_at.is_not(None), WorkItem.due_at < now)
    query = (
        select(WorkItem, Case.reference, ProtocolVersion.key, User.username)
        .join(Case, Case.id == WorkItem.case_id)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .outerjoin(User, User.id == WorkItem.assignee_id)
    )
    if scope is TaskScope.MINE:
        query = query.where(WorkItem.assignee_id == actor.user_id) if actor.user_id else query.where(false())
    elif scope is TaskScope.AGENCY:
        if actor.agency_code is None:
            raise InvalidInput("scope=agency needs an agency; use scope=all", field="scope")
        query = query.where(WorkItem.agency_code == actor.agency_code)
    elif not sees_every_case(actor):
        raise Forbidden("only the committee and administrators list every agency's tasks", field="scope")
    query = query.where(unit_visibility(actor, WorkItem.case_id))
    query = query.where(WorkItem.state == state) if state else query.where(live)
    if overdue is True:
        query = query.where(is_overdue)
    elif overdue is False:
        query = query.where(not_(is_overdue))
    if due_before is not None:
        query = query.where(WorkItem.due_at < due_before)
    if protocol:
        query = query.where(ProtocolVersion.key == protocol)
    if agency:
        query = query.where(WorkItem.agency_code == agency)
    return query.order_by(
        case((is_overdue, 0), else_=1), WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id,
    )


# Case search reads the cases a query finds by id when they are at most this many (a page
# and its count from the same short list), and tests every visible case when there are more.
SEARCH_CANDIDATES = 500


def case_search_query(
    actor: Actor,
    *,
    q: str | None = None,
    status: str | None = None,
    protocol: str | None = None,
    among: Collection[int] | None = None,
    on_postgresql: bool = False,
) -> Select:
    """Cases the actor may see, newest first; ``q`` matches the reference, the child's name or
    an identifier (Thai ID or G-code). ``among``, when given, holds the ids of every case ``q``
    finds (:func:`found_cases`), which are then read by id instead of matching ``q`` again."""
    query = (
        select(Case, ProtocolVersion.key, ProtocolVersion.version, Child.first_name, Child.last_name)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .outerjoin(Child, Child.id == Case.child_id)
        .where(case_visibility(actor))
    )
    text = q.strip() if q else ""
    if among is not None and on_postgresql:
        # One array parameter, not one parameter an id: the statement's text stays the same
        # whatever was found, so it is neither written out nor parsed again at each search.
        query = query.where(Case.id == any_(literal(sorted(among), ARRAY(Integer))))
    elif among is not None:
        query = query.where(Case.id.in_(among))
    elif text:  # a blank ``q`` is in every reference: no condition
        query = query.where(or_(Case.reference.icontains(text, autoescape=True), _finds_child(text)))
    if status:
        query = query.where(Case.status == status)
    if protocol:
        query = query.where(ProtocolVersion.key == protocol)
    return query.order_by(Case.created_at.desc(), Case.id.desc())


# The child's full name as searched: any part of the first name, of the last name, or across
# the two. ``q`` is stripped, so a match cannot end in the space a missing last name leaves.
# Written with literals, not parameters, so that PostgreSQL matches it to the trigram index on
# the same expression (migration 0014) in a prepared statement too.
CHILD_FULL_NAME = Child.first_name + literal_column("' '") + func.coalesce(Child.last_name, literal_column("''"))


# When the tails of migration 0017 find the references: from the search's first dash on, a tail
# of eight characters or more (``-2026-00``) begins few tails; a shorter one (``-2026``) begins
# nearly every case's, which trigrams read faster. Past the longest reference (32 characters),
# nothing could be found either way, and the query's text must stay a short ``tsquery``.
REFERENCE_TAIL_LENGTHS = range(8, 33)


def matching_cases(text: str, *, on_postgresql: bool = False) -> CompoundSelect:
    """The ids of the cases ``text`` finds, whoever looks: in the reference, or the child's name
    (substrings, any case) or identifier (exact), each side through its own index (on
    PostgreSQL the trigram indexes of migration 0014, and for a search with a dash in it the
    reference tails of 0017). A case found both ways comes twice."""
    in_reference = Case.reference.icontains(text, autoescape=True)
    if on_postgresql and "-" in text and len(text) - text.index("-") in REFERENCE_TAIL_LENGTHS:
        # Every reference the search finds is among those with the search's tail (see
        # migration 0017), and these are few: the substring is matched on them one by one, on
        # ``reference || ''`` so that the planner cannot add the trigram index to the tails'
        # (it would read as many rows as without them).
        in_reference = and_(
            func.case_reference_tails(Case.reference).op("@@")(_reference_tail_query(text)),
            (Case.reference + literal_column("''")).icontains(text, autoescape=True),
        )
    return union_all(
        select(Case.id).where(in_reference),
        select(Case.id).join(Child, Child.id == Case.child_id).where(_finds_child(text)),
    )


def _finds_child(text: str) -> ColumnElement[bool]:
    """``text`` in the child's name (a substring, any case), or the child's identifier."""
    return or_(
        CHILD_FULL_NAME.icontains(text, autoescape=True),
        Child.national_id == text,
        Child.g_code == text.upper(),
    )


def _reference_tail_query(text: str) -> ColumnElement[Any]:
    """The ``tsquery`` for tails that begin with the search's from its first dash, lower-cased
    by PostgreSQL, as ILIKE lower-cases (a lower-casing in Python could differ from the
    server's), and quoted as one lexeme, whatever its characters."""
    folded = func.lower(literal(text, String))
    tail = func.substr(folded, func.strpos(folded, "-"))
    quoted = literal("'", String) + func.replace(func.replace(tail, "\\", "\\\\"), "'", "''") + literal("':*", String)
    return cast(quoted, TSQUERY)


def found_cases(*, session: Session, text: str) -> set[int] | None:
    """The ids of every case ``text`` finds, if there are at most :data:`SEARCH_CANDIDATES`;
    None if there are more (a search as broad as that tests every case it may show instead).

    Found first through the indexes and read by id after, a narrow search costs the same at a
    hundred thousand cases as at a thousand, and the planner never has to guess how many
    cases the search and the visibility rule each keep.
    """
    ids = list(session.scalars(matching_cases(text, on_postgresql=is_postgres(session)).limit(SEARCH_CANDIDATES + 1)))
    return set(ids) if len(ids) <= SEARCH_CANDIDATES else None


def task_form_data(*, session: Session, item: WorkItem) -> dict[str, Any]:
    """The values the task's form fields hold now (or held when it was completed).

    Only the form's own fields are returned: a task's data holds every variable of the case so
    far, and a form shows what its task asks, not the whole file (PDPA's data minimisation).
    """
    return form_data_of_items(session=session, case=session.get_one(Case, item.case_id), items=[item]).get(item.id, {})


def form_data_of_items(*, session: Session, case: Case, items: list[WorkItem]) -> dict[int, dict[str, Any]]:
    """Each work item's form values (see :func:`task_form_data`), restoring the case's workflow
    once for all of them; an item without a form, or whose data cannot be read, has none."""
    fields = {item.id: schema_fields(schema) for item in items if (schema := form_schema(session, item.form_key)) is not None}
    if not fields:
        return {}
    try:
        workflow = workflow_from_rows(session, case, version_cache(session).get(session, case.protocol_version_id).spec_json)
    except Exception:  # noqa: BLE001 - a detail view must not fail because a case's state is odd
        log.exception("cannot restore the workflow of case %s", case.id)
        return {}
    values = {}
    for item in items:
        if item.id not in fields:
            continue
        try:
            data = task_data(workflow, item.task_id)
        except Exception:  # noqa: BLE001 - as above, for one task
            log.exception("cannot read the data of work item %s", item.id)
            continue
        if data is not None:
            values[item.id] = {name: value for name, value in data.items() if name in fields[item.id]}
    return values


def other_cases(*, session: Session, child_id: int, except_case_id: int | None = None) -> list[Case]:
    query = select(Case).where(Case.child_id == child_id).order_by(Case.created_at, Case.id)
    if except_case_id is not None:
        query = query.where(Case.id != except_case_id)
    return list(session.scalars(query))
