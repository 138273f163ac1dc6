"""Who holds a task: claiming it, giving it back, and a supervisor assigning it to someone."""
from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import ensure_unit_admits, unit_admits
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, WorkItem, WorkItemState
from engine.cases.rights import ensure_may_assign, ensure_may_work, may_work
from engine.cases.stepping import find_item, hold_for_answer, lock_case
from engine.cases.work_items import notify_assignment
from engine.clock import Clock
from engine.errors import Conflict, InvalidInput
from engine.people.actors import Actor
from engine.people.models import User


def _set_assignment(session: Session, item: WorkItem, *, only_if: Any, state: WorkItemState, assignee_id: int | None,
                    conflict: str) -> None:
    """Change who holds a work item in one conditional UPDATE, atomic on every database.

    The UPDATE returns the row as it wrote it, into ``item``: the conditional UPDATE changed the
    row behind the session's back, and reading it again after the commit would take a second
    connection and transaction (both databases have UPDATE … RETURNING).
    """
    changed = session.scalars(
        update(WorkItem)
        .where(WorkItem.id == item.id, only_if)
        .values(state=state.value, assignee_id=assignee_id)
        .returning(WorkItem),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).all()
    if len(changed) != 1:
        session.rollback()
        raise Conflict(f"work item {item.id} {conflict}", work_item_id=item.id)


def claim(*, session: Session, work_item_id: int, actor: Actor, clock: Clock) -> WorkItem:
    item = find_item(session=session, work_item_id=work_item_id)
    ensure_may_work(actor, item)
    case = lock_case(session=session, case_id=item.case_id)
    ensure_unit_admits(session=session, actor=actor, item=item)
    _set_assignment(
        session, item, only_if=WorkItem.state == WorkItemState.OPEN.value,
        state=WorkItemState.CLAIMED, assignee_id=actor.user_id, conflict="is not open any more",
    )
    audit.record(session, action="work_item.claimed", actor=actor, at=clock.now(), case_id=item.case_id, work_item_id=item.id)
    session.commit()
    if case is not None:
        hold_for_answer(session, case)
    return item


def unclaim(*, session: Session, work_item_id: int, actor: Actor, clock: Clock) -> WorkItem:
    item = find_item(session=session, work_item_id=work_item_id)
    ensure_may_work(actor, item)
    case = lock_case(session=session, case_id=item.case_id)
    _set_assignment(
        session, item,
        only_if=(WorkItem.state == WorkItemState.CLAIMED.value) & (WorkItem.assignee_id == actor.user_id),
        state=WorkItemState.OPEN, assignee_id=None, conflict=f"is not claimed by {actor.username}",
    )
    audit.record(session, action="work_item.unclaimed", actor=actor, at=clock.now(), case_id=item.case_id, work_item_id=item.id)
    session.commit()
    if case is not None:
        hold_for_answer(session, case)
    return item


def reassign(*, session: Session, work_item_id: int, assignee_id: int, actor: Actor, clock: Clock) -> WorkItem:
    """A supervisor gives a task to a named person of the owning agency."""
    item = find_item(session=session, work_item_id=work_item_id)
    ensure_may_assign(actor, item)
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active:
        raise InvalidInput(f"user {assignee_id} does not exist or is disabled", field="assignee_id")
    refusal = None
    if not may_work(Actor.of(assignee), item):
        refusal = "an assignee must belong to the lane's agency"
    elif not unit_admits(Actor.of(assignee), session.get_one(Case, item.case_id)):
        refusal = "the assignee's school may not see this case"
    if refusal is not None:
        message = (
            f"{assignee.username} ({assignee.role_code}, {assignee.agency_code or 'no agency'}) cannot work task "
            f"{item.task_name!r} of agency {item.agency_code}: {refusal}"
        )
        # A refused assignment is on the record, like any refused act on a case.
        audit.record(
            session, action="work_item.assignee_refused", actor=actor, at=clock.now(), case_id=item.case_id,
            work_item_id=item.id, assignee=assignee.username, assignee_agency=assignee.agency_code,
            agency=item.agency_code, named_by="supervisor", message=message,
        )
        session.commit()
        raise InvalidInput(message, field="assignee_id")
    lock_case(session=session, case_id=item.case_id)
    session.refresh(item)  # who holds it now, read under the case's lock
    previous = item.assignee_id
    _set_assignment(
        session, item, only_if=WorkItem.state.in_(LIVE_WORK_ITEM_STATES),
        state=WorkItemState.CLAIMED, assignee_id=assignee.id, conflict="is not open any more",
    )
    now = clock.now()
    audit.record(
        session, action="work_item.reassigned", actor=actor, at=now, case_id=item.case_id,
        work_item_id=item.id, from_user=previous, to_user=assignee.id,
    )
    notify_assignment(session=session, item=item, assignee=assignee, now=now)
    session.commit()
    return item
