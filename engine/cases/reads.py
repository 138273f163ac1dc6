"""What the case and task screens read, answered from SQL.

Each function takes an object the caller may see (``engine.cases.access.visible_*``) or the
actor a list is filtered for. A read that shows case data records itself in the audit trail and
commits before it returns: an unrecorded read never reaches the caller.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from engine.audit import AuditEvent
from engine.cases.access import commit_read, may_see_case, record_read
from engine.cases.comments import TaskComment, comments_on
from engine.cases.links import LinkedCase, case_links
from engine.cases.models import Case, Escalation, WorkItem
from engine.cases.queries import (
    TaskScope,
    case_search_query,
    found_cases,
    other_cases,
    task_form_data,
    task_list_query,
)
from engine.cases.restrictions import CaseRestriction, active_restriction
from engine.cases.rights import may_assign, may_work
from engine.children.masking import (
    ChildAsSeen,
    child_as_seen_by,
    form_values_as_seen_by,
    name_as_seen_by,
    shows_identity,
)
from engine.children.models import Child, Guardian
from engine.db import Page, is_postgres, page_of, small_page_of
from engine.forms.service import form_schema
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols.cache import version_cache
from engine.protocols.models import ProtocolVersion

# -- cases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseView:
    """A case as lists show it: its protocol and the child's name, as the reader may see it (in
    full, or initials: ``engine.children.masking``)."""

    case: Case
    protocol_key: str
    protocol_version: int
    child_name: str | None
    child_name_masked: bool


@dataclass(frozen=True)
class CaseDetailView(CaseView):
    protocol_name: str
    child: Child | None
    guardians: list[Guardian]
    # The child's record as the reader is shown it: what the API and pages display.
    child_as_seen: ChildAsSeen | None
    work_items: list[WorkItem]
    escalations: list[Escalation]
    linked_cases: list[LinkedCase]
    child_other_cases: list[Case]
    # In force: the case shares nothing (engine.cases.restrictions).
    restriction: CaseRestriction | None


def case_view(*, session: Session, case: Case) -> CaseView:
    """A case just started or changed, as lists show it (without the child, which starting names not)."""
    version = session.get(ProtocolVersion, case.protocol_version_id)
    assert version is not None  # a case's version is a foreign key
    return CaseView(case, version.key, version.version, None, False)


def search_cases(
    *,
    session: Session,
    actor: Actor,
    now: datetime,
    q: str | None = None,
    status: str | None = None,
    protocol: str | None = None,
    limit: int,
    offset: int,
) -> Page[CaseView]:
    """The cases the actor may see, newest first. A search by name or identifier is itself a use
    of children's data, so it is recorded."""
    text = q.strip() if q else ""
    among = found_cases(session=session, text=text) if text else None
    query = case_search_query(actor, q=q, status=status, protocol=protocol, among=among, on_postgresql=is_postgres(session))
    # At most SEARCH_CANDIDATES cases when ``among`` is known: counted with the page's rows.
    found = (page_of if among is None else small_page_of)(session, query, limit=limit, offset=offset)
    rows, total = found.rows, found.total
    masked = not shows_identity(actor)
    views = [
        CaseView(case, key, version, name_as_seen_by(actor, first, last), masked and first is not None)
        for case, key, version, first, last in rows
    ]
    # Whose names a page showed is on the record, so that the reads of a child's data can be
    # listed (engine.privacy.access_log): every search, and every list that shows names in full.
    shown = [view.case.id for view in views if view.child_name is not None]
    if q:
        commit_read(session=session, action="cases.searched", actor=actor, at=now, query=q, results=total, shown=shown)
    elif shown and not masked:
        commit_read(session=session, action="cases.listed", actor=actor, at=now, shown=shown)
    return Page(views, total)


def read_case(*, session: Session, case: Case, actor: Actor, now: datetime) -> CaseDetailView:
    """A case with its child, work items, escalations, and the linked cases and the child's
    other cases the actor may see; the read is recorded."""
    version = session.get(ProtocolVersion, case.protocol_version_id)
    assert version is not None  # a case's version is a foreign key
    child = session.get(Child, case.child_id) if case.child_id is not None else None
    guardians: list[Guardian] = []
    others: list[Case] = []
    if child is not None:
        guardians = list(session.scalars(select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.id)))
        others = [
            c for c in other_cases(session=session, child_id=child.id, except_case_id=case.id) if may_see_case(session=session, actor=actor, case_id=c.id)
        ]
    detail = CaseDetailView(
        case=case, protocol_key=version.key, protocol_version=version.version,
        child_name=name_as_seen_by(actor, child.first_name, child.last_name) if child else None,
        child_name_masked=child is not None and not shows_identity(actor),
        protocol_name=version.name, child=child, guardians=guardians,
        child_as_seen=child_as_seen_by(actor, child, guardians) if child is not None else None,
        work_items=list(session.scalars(select(WorkItem).where(WorkItem.case_id == case.id).order_by(WorkItem.id))),
        escalations=list(session.scalars(select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id))),
        linked_cases=[link for link in case_links(session=session, case_id=case.id) if may_see_case(session=session, actor=actor, case_id=link.case.id)],
        child_other_cases=others,
        restriction=active_restriction(session, case.id),
    )
    commit_read(session=session, action="case.viewed", actor=actor, at=now, case_id=case.id)
    return detail


def read_case_audit(*, session: Session, case: Case, actor: Actor, now: datetime, limit: int, offset: int) -> Page[AuditEvent]:
    """A page of the case's audit trail, oldest first; reading it is on the trail too."""
    record_read(session=session, action="case.audit_viewed", actor=actor, at=now, case_id=case.id)
    session.flush()
    found = page_of(
        session, select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id), limit=limit, offset=offset
    )
    session.commit()
    return Page([row[0] for row in found.rows], found.total)


# -- tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    """A work item as task lists show it: with its case reference, protocol and assignee."""

    item: WorkItem
    case_reference: str
    protocol_key: str
    assignee_username: str | None


@dataclass(frozen=True)
class TaskDetailView(TaskView):
    form_schema: dict[str, Any] | None
    data: dict[str, Any]
    may_work: bool
    may_assign: bool
    comment_count: int


def task_view(*, session: Session, item: WorkItem, actor: Actor | None = None) -> TaskView:
    """The item as lists show it. After a command on its case (claim, complete) the session holds
    the case's row, read under the case's lock, the protocol's key is in the version cache and
    the assignee is often the actor: then nothing is asked of the database, which has just
    committed (asking would take a connection from the pool again for a second transaction)."""
    case = _held(session, Case, item.case_id, "reference", "protocol_version_id")
    if case is not None:
        reference, key = case.reference, version_cache(session).get(session, case.protocol_version_id).key
    else:
        reference, key = session.execute(
            select(Case.reference, ProtocolVersion.key).join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
            .where(Case.id == item.case_id)
        ).one()
    assignee = None
    if item.assignee_id is not None:
        if actor is not None and item.assignee_id == actor.user_id:
            assignee = actor.username
        elif (user := _held(session, User, item.assignee_id, "username")) is not None:
            assignee = user.username
        else:
            assignee = session.scalar(select(User.username).where(User.id == item.assignee_id))
    return TaskView(item, reference, key, assignee)


_Held = TypeVar("_Held", Case, User)


def _held(session: Session, model: type[_Held], ident: int, *columns: str) -> _Held | None:
    """The row the session already holds with these columns loaded, without asking the database."""
    found = session.identity_map.get(session.identity_key(model, ident))
    if not isinstance(found, model) or inspect(found).unloaded.intersection(columns):
        return None
    return found


def list_tasks(
    *,
    session: Session,
    actor: Actor,
    now: datetime,
    scope: TaskScope | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    due_before: datetime | None = None,
    protocol: str | None = None,
    agency: str | None = None,
    limit: int,
    offset: int,
) -> Page[TaskView]:
    """Work items, overdue first, then by due date (undated last). Never loads a workflow."""
    query = task_list_query(actor, now=now, scope=scope, state=state, overdue=overdue, due_before=due_before,
                            protocol=protocol, agency=agency)
    found = page_of(session, query, limit=limit, offset=offset)
    return Page([TaskView(*row) for row in found.rows], found.total)


def comment_count(*, session: Session, item: WorkItem) -> int:
    return session.scalar(select(func.count(TaskComment.id)).where(TaskComment.work_item_id == item.id)) or 0


def read_task(*, session: Session, item: WorkItem, actor: Actor, now: datetime) -> TaskDetailView:
    """One task with its form, the form's current values (the child's identifiers masked for
    those not shown them) and what the actor may do with it."""
    view = task_view(session=session, item=item)
    detail = TaskDetailView(
        item=item, case_reference=view.case_reference, protocol_key=view.protocol_key,
        assignee_username=view.assignee_username, form_schema=form_schema(session, item.form_key),
        data=form_values_as_seen_by(actor, task_form_data(session=session, item=item)), may_work=may_work(actor, item),
        may_assign=may_assign(actor, item),
        comment_count=comment_count(session=session, item=item),
    )
    commit_read(session=session, action="task.viewed", actor=actor, at=now, case_id=item.case_id, work_item_id=item.id)
    return detail


@dataclass(frozen=True)
class CommentView:
    comment: TaskComment
    author_username: str


def read_comments(
    *, session: Session, item: WorkItem, actor: Actor, now: datetime, limit: int, offset: int
) -> Page[CommentView]:
    """A page of a task's comments, oldest first, with their authors' names; the read is recorded."""
    total = comment_count(session=session, item=item)
    comments = comments_on(session=session, work_item_id=item.id, limit=limit, offset=offset)
    names: dict[int, str] = {
        user_id: username for user_id, username in session.execute(
            select(User.id, User.username).where(User.id.in_({c.author_id for c in comments}))
        )
    } if comments else {}
    commit_read(session=session, action="task.comments_viewed", actor=actor, at=now, case_id=item.case_id, work_item_id=item.id)
    return Page([CommentView(c, names.get(c.author_id, "?")) for c in comments], total)

