"""Keeping the work_items table in step with a case's live manual tasks."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import admitted_people
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, WorkItem, WorkItemState
from engine.db import is_postgres
from engine.errors import InvalidInput, WorkflowFailure
from engine.notify import outbox
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_WORKER_ROLE, may_work_seat
from engine.protocols.parsing import UserTaskDescriptor
from engine.workflow.timers import parse_duration
from engine.workflow.tree import boundary_timer_due_times, live_manual_tasks
from engine.workflow.types import Task, Workflow


def notification_context(*, session: Session, item: WorkItem) -> dict[str, Any]:
    """What a message about a work item may say: the case reference and the task, no more."""
    # The command moving the case holds it already: no query.
    reference = session.get_one(Case, item.case_id).reference
    return {"case_reference": reference, "task_label": item.label, "due_at": item.due_at}


def notify_queue(*, session: Session, item: WorkItem, now: datetime) -> None:
    """A new task waits in the agency's queue: tell the people who may take it (a school's staff
    only about their own school's cases)."""
    outbox.notify_agency(
        session, kind="work_item.new", agency_code=item.agency_code,
        roles=(item.candidate_role or CASE_WORKER_ROLE,), context=notification_context(session=session, item=item),
        dedupe_key_prefix=f"work_item.new:{item.id}", now=now, case_id=item.case_id,
        admitted=admitted_people(session.get_one(Case, item.case_id)),
    )


def notify_assignment(*, session: Session, item: WorkItem, assignee: User, now: datetime) -> None:
    outbox.enqueue(
        session, kind="work_item.assigned", recipient=assignee, context=notification_context(session=session, item=item),
        dedupe_key=f"work_item.assigned:{item.id}:user:{assignee.id}:at:{now.isoformat()}", now=now,
        case_id=item.case_id,
    )


def _declared_due_date(value: str | None, created_at: datetime) -> datetime | None:
    """A task's ``dueDate`` property: an ISO 8601 duration from creation, or an aware instant."""
    if not value:
        return None
    text = value.strip().strip("'\"")
    try:
        if text.upper().startswith("P"):
            return created_at + parse_duration(text, start=created_at, field="dueDate")
        moment = datetime.fromisoformat(text)
    except (InvalidInput, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def due_at_for(task: Task, descriptor: UserTaskDescriptor, created_at: datetime) -> datetime | None:
    """The earliest deadline declared for a task: its timer boundary events and its dueDate."""
    candidates = boundary_timer_due_times(task)
    declared = _declared_due_date(descriptor.due_date, created_at)
    if declared is not None:
        candidates.append(declared)
    return min(candidates, default=None)


def cancel_item(*, session: Session, item: WorkItem, now: datetime, actor: Actor) -> None:
    """A live work item withdrawn: its task left the workflow, or the whole case was cancelled."""
    item.state = WorkItemState.CANCELLED.value
    item.completed_at = now
    audit.record(
        session, action="work_item.cancelled", actor=actor, at=now, case_id=item.case_id,
        work_item_id=item.id, task=item.task_name,
    )


def _refuse_named_assignee(*, session: Session, item: WorkItem, named: User, now: datetime, actor: Actor) -> None:
    audit.record(
        session, action="work_item.assignee_refused", actor=actor, at=now, case_id=item.case_id,
        work_item_id=item.id, task=item.task_name, assignee=named.username, assignee_agency=named.agency_code,
        agency=item.agency_code, named_by="protocol",
        message=(
            f"the protocol names {named.username} ({named.role_code}, {named.agency_code or 'no agency'}) for task "
            f"{item.task_name!r} of agency {item.agency_code}: an assignee must belong to the lane's agency; "
            "the task waits in the agency's queue"
        ),
    )


def sync_work_items(
    *,
    session: Session,
    case: Case,
    workflow: Workflow,
    items: list[WorkItem],
    descriptors: dict[str, UserTaskDescriptor],
    now: datetime,
    actor: Actor,
) -> None:
    """Cancel the items whose task left the live set, and add one for each new live user task.

    ``items`` are the case's live work items as the command read them; new ones are appended to it.
    """
    live = {str(task.id): task for task in live_manual_tasks(workflow)}
    known = {item.task_id for item in items}
    # Nothing read below depends on what the command has changed so far (people, the outbox, a
    # task's own row): those changes go to the database together, with the commit.
    with session.no_autoflush:
        for item in items:
            if item.state not in LIVE_WORK_ITEM_STATES or item.task_id in live:
                continue
            # Completion marks its own item; anything else that left the live set was withdrawn by
            # the process (an interrupting timer, a cancelled case, an ended subprocess).
            cancel_item(session=session, item=item, now=now, actor=actor)

        for task_id, task in live.items():
            if task_id not in known:
                _add_item(session=session, case=case, task_id=task_id, task=task, items=items,
                          descriptors=descriptors, now=now, actor=actor)


def _has_item(*, session: Session, case_id: int, task_id: str) -> bool:
    return session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.task_id == task_id)) is not None


def _insert_item(*, session: Session, values: dict[str, Any]) -> WorkItem | None:
    """The new work item, or None when its task has one already: ``items`` holds the live items
    only, and a live task may still have a finished item. One statement either way."""
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(WorkItem).values(**values)
        .on_conflict_do_nothing(index_elements=["case_id", "task_id"])
        .returning(WorkItem)
    )
    return session.scalars(statement).one_or_none()


def _add_item(
    *,
    session: Session,
    case: Case,
    task_id: str,
    task: Task,
    items: list[WorkItem],
    descriptors: dict[str, UserTaskDescriptor],
    now: datetime,
    actor: Actor,
) -> None:
    descriptor = descriptors.get(task.task_spec.bpmn_id)
    if descriptor is None or descriptor.agency_code is None:
        if _has_item(session=session, case_id=case.id, task_id=task_id):
            return
        raise WorkflowFailure(
            f"task {task.task_spec.bpmn_id!r} has no agency in this protocol version",
            case_id=case.id,
        )
    named = None
    if descriptor.assignee:
        named = session.scalar(select(User).where(User.username == descriptor.assignee, User.active.is_(True)))
    # Someone outside the lane's agency is refused (lint refuses such a protocol, but people
    # move between agencies after it is published): the task waits in the agency's queue.
    refused = named is not None and not may_work_seat(
        role=named.role_code, agency_code=named.agency_code, seat_agency=descriptor.agency_code,
        seat_role=descriptor.candidate_role,
    )
    assignee_id = named.id if named is not None and not refused else None
    item = _insert_item(session=session, values=dict(
        case_id=case.id,
        task_id=task_id,
        task_name=descriptor.task_name,
        label=descriptor.label,
        lane=descriptor.lane,
        agency_code=descriptor.agency_code,
        candidate_role=descriptor.candidate_role,
        assignee_id=assignee_id,
        state=(WorkItemState.CLAIMED if assignee_id else WorkItemState.OPEN).value,
        form_key=descriptor.form_key,
        created_at=now,
        due_at=due_at_for(task, descriptor, now),
    ))
    if item is None:
        return
    items.append(item)
    if refused and named is not None:
        _refuse_named_assignee(session=session, item=item, named=named, now=now, actor=actor)
    if named is not None and assignee_id is not None:
        notify_assignment(session=session, item=item, assignee=named, now=now)
    else:
        notify_queue(session=session, item=item, now=now)
    audit.record(
        session, action="work_item.created", actor=actor, at=now, case_id=case.id,
        work_item_id=item.id, task=item.task_name, agency=item.agency_code,
        due_at=item.due_at.isoformat() if item.due_at else None,
        assignee=descriptor.assignee if assignee_id else None,
    )
