"""The runtime commands that move a case: start, complete, cancel.

Each is one database transaction; see :mod:`engine.cases.stepping` for what every command
does around its own act. The network passed in brings the business calendar its deadlines are
counted in, and it is put in effect for the command with the clock.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.calendar import calendar_in_effect
from engine.cases.access import ensure_unit_admits, sees_child_elsewhere
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, WorkItem, WorkItemState
from engine.cases.referrals import conclude, open_case
from engine.cases.rights import ensure_may_work
from engine.cases.state import store_state
from engine.cases.stepping import (
    case_items,
    check_form_data,
    find_item,
    flag_error,
    hold_for_answer,
    lock_case,
    lock_to_move,
    one_transaction,
    restore,
)
from engine.cases.units import note_units
from engine.cases.work_items import cancel_item
from engine.children.service import (
    CHILD_RECORD_FLAG,
    CHILD_UPDATE_FLAG,
    ChildRecordRefused,
    record_child_for_case,
    update_child_from_form,
)
from engine.clock import Clock, clock_in_effect
from engine.errors import (
    Conflict,
    DepthLimitExceeded,
    InvalidInput,
    InvalidState,
    NotFound,
    RunBudgetExceeded,
    WorkflowFailure,
)
from engine.forms.service import form_schema
from engine.forms.validation import validate_form_data
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.protocols.service import latest_published
from engine.workflow.budget import RunBudget, budget_in_effect
from engine.workflow.running import advance, ready_task, run_task
from engine.workflow.types import Workflow

# What a command does to the locked case before its workflow moves on: the case, its restored
# workflow, its work items (read under the lock) and the command's "now".
Act = Callable[[Case, Workflow, list[WorkItem], datetime], None]


@contextmanager
def in_effect(clock: Clock, network: Network) -> Iterator[None]:
    """The clock and the business calendar that SpiffWorkflow's timers and expressions read,
    and a fresh budget of engine work for this one command (``[limits]`` of the network)."""
    with clock_in_effect(clock), calendar_in_effect(network.calendar), budget_in_effect(budget_for(network)):
        yield


def budget_for(network: Network) -> RunBudget:
    limits = network.limits
    return RunBudget(
        max_engine_steps=limits.max_engine_steps, max_timer_firings=limits.max_timer_firings,
        max_seconds=float(limits.max_run_seconds),
    )


def run_command(
    *,
    session: Session,
    case_id: int,
    clock: Clock,
    actor: Actor,
    act: Act,
    network: Network,
    flag_failures: bool = False,
    skip_locked: bool = False,
) -> tuple[Case | None, list[str]]:
    """Lock the case, act on it, move its workflow on and commit; the timers that fired."""
    try:
        with in_effect(clock, network):
            now = clock.now()
            case = lock_to_move(session=session, case_id=case_id, now=now, skip_locked=skip_locked)
            if case is None:
                if skip_locked:
                    session.rollback()
                    return None, []
                raise NotFound(f"case {case_id} does not exist", field="case_id")
            if case.status != CaseStatus.ACTIVE.value:
                raise InvalidState(f"case {case.reference} is {case.status}", status=case.status)
            workflow = restore(session=session, case=case)
            items = case_items(session=session, case_id=case.id)
            act(case, workflow, items, now)
            moved = advance(workflow)
            if moved.fired_timers:
                audit.record(
                    session, action="case.timers_fired", actor=actor, at=now, case_id=case.id,
                    # Each timer once, with the count: a repeating one may fire many times in a run.
                    timers=list(dict.fromkeys(moved.timer_names)), firings=len(moved.timer_names),
                )
            conclude(
                session=session, case=case, workflow=workflow, items=items, moved=moved, now=now, actor=actor,
                network=network, depth=0,
            )
            session.commit()
            return case, moved.timer_names
    except (StaleDataError, OperationalError) as exc:
        session.rollback()
        if isinstance(exc, OperationalError) and not any(w in str(exc).lower() for w in ("locked", "deadlock")):
            raise
        raise Conflict(f"case {case_id} was changed by someone else at the same time; reload and retry") from exc
    except (DepthLimitExceeded, RunBudgetExceeded) as exc:
        flag_error(session=session, case_id=case_id, exc=exc, clock=clock, actor=actor)
        raise
    except WorkflowFailure as exc:
        if flag_failures:
            flag_error(session=session, case_id=case_id, exc=exc, clock=clock, actor=actor)
        else:
            # The case stays as it was; the failed attempt is still on the record.
            session.rollback()
            audit.record(
                session, action="case.command_failed", actor=actor, at=clock.now(), case_id=case_id,
                error=exc.code, message=exc.message,
            )
            session.commit()
        raise
    except BaseException:
        session.rollback()
        raise


def start_case(
    *,
    session: Session,
    protocol_key: str,
    data: dict[str, Any],
    actor: Actor,
    clock: Clock,
    network: Network,
    reporting_unit: str | None = None,
) -> Case:
    """Start a case on the newest published version of a protocol. A school's staff report for
    their own school (it is the reporting unit when none is named)."""
    data = check_form_data(data)
    reporting_unit = reporting_unit or data.get("reporting_unit") or actor.unit_code
    if actor.unit_code is not None and reporting_unit != actor.unit_code:
        raise InvalidInput(f"{actor.username} reports for {actor.unit_code}, not for {reporting_unit!r}",
                           field="reporting_unit")
    if reporting_unit is not None and reporting_unit not in network.units and reporting_unit not in network.agencies:
        raise InvalidInput(f"{reporting_unit!r} is neither a reporting unit nor an agency", field="reporting_unit")
    try:
        with in_effect(clock, network):
            version = latest_published(session=session, key=protocol_key)
            case = open_case(
                session=session, version=version, data=data, actor=actor, now=clock.now(), network=network,
                reporting_unit=reporting_unit,
            )
            session.commit()
            return case
    except RunBudgetExceeded as exc:
        # Nothing was created (no reference was taken either); the attempt stays on the record.
        session.rollback()
        audit.record(
            session, action="case.start_refused", actor=actor, at=clock.now(), protocol=protocol_key,
            error=exc.code, message=exc.message, **audit.details_of(exc),
        )
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise


def complete(
    *,
    session: Session,
    work_item_id: int,
    data: dict[str, Any],
    actor: Actor,
    clock: Clock,
    network: Network,
    child_id: int | None = None,
) -> WorkItem:
    """Complete a work item with its form data and move the case on.

    The data is checked against the task's form. An intake form (one marked as the child's
    record) links the case to the child's record: by identifier, or to ``child_id`` when the
    person completing it confirmed a suggested match.
    """
    data = check_form_data(data)
    item = find_item(session=session, work_item_id=work_item_id)
    ensure_may_work(actor, item)
    ensure_unit_admits(session=session, actor=actor, item=item)

    def act(case: Case, workflow: Workflow, items: list[WorkItem], now: datetime) -> None:
        # The case's live items were just read under its lock; this one is among them if live.
        current = next((i for i in items if i.id == work_item_id), None)
        if current is None or current.state not in LIVE_WORK_ITEM_STATES:
            finished = current or session.get(WorkItem, work_item_id, populate_existing=True)
            state = finished.state if finished is not None else "gone"
            raise Conflict(f"work item {work_item_id} is already {state}", work_item_id=work_item_id)
        if current.state == WorkItemState.CLAIMED.value and current.assignee_id != actor.user_id:
            raise Conflict(f"work item {work_item_id} is claimed by someone else", work_item_id=work_item_id)
        task = ready_task(workflow, current.task_id)
        if task is None:
            raise Conflict(f"task of work item {work_item_id} is not ready", work_item_id=work_item_id)
        schema = form_schema(session, current.form_key)
        if schema is not None:
            validate_form_data(schema, data, form_key=current.form_key or "")
            if schema.get(CHILD_RECORD_FLAG):
                record_child_for_case(
                    session, case=case, data=data, now=now, actor=actor, confirmed_child_id=child_id,
                    seen_elsewhere=lambda other: sees_child_elsewhere(
                        session=session, actor=actor, child_id=other, except_case_id=case.id
                    ),
                )
            elif schema.get(CHILD_UPDATE_FLAG):
                update_child_from_form(session, case=case, data=data, now=now, actor=actor)
        note_units(session=session, case=case, data=data, network=network, actor=actor, now=now,
                   completing_item_id=current.id)
        run_task(task, data)
        current.state = WorkItemState.COMPLETED.value
        current.assignee_id = current.assignee_id or actor.user_id
        current.completed_at = now
        current.completed_by_id = actor.user_id
        audit.record(
            session, action="work_item.completed", actor=actor, at=now, case_id=case.id,
            work_item_id=current.id, task=current.task_name, fields=sorted(data),
        )

    try:
        case, _ = run_command(session=session, case_id=item.case_id, clock=clock, actor=actor, act=act, network=network)
    except ChildRecordRefused as refused:
        # The command was rolled back; the attempt to take a record by its number stays on the
        # record (who, which id, which task), committed on its own. Whether the record exists
        # is not said: the case's trail is read by the same people who tried.
        audit.record(
            session, action="access.denied", actor=actor, at=clock.now(), case_id=item.case_id, work_item_id=item.id,
            resource="child", resource_id=refused.child_id, task=item.task_name,
            attempted="link a child's record to an intake",
        )
        session.commit()
        raise
    if case is not None:
        hold_for_answer(session, case)
    return item


def cancel_case(*, session: Session, case_id: int, reason: str, actor: Actor, clock: Clock) -> Case:
    """Withdraw a case: every live task is cancelled and no timer will fire for it again."""
    if not reason or not reason.strip():
        raise InvalidInput("a reason is required to cancel a case", field="reason")
    with one_transaction(session, case_id), clock_in_effect(clock):
        case = lock_case(session=session, case_id=case_id)
        if case is None:
            raise NotFound(f"case {case_id} does not exist", field="case_id")
        if case.status not in (CaseStatus.ACTIVE.value, CaseStatus.ERROR.value):
            raise InvalidState(f"case {case.reference} is {case.status}", status=case.status)
        now = clock.now()
        workflow = restore(session=session, case=case)
        workflow.cancel()
        for item in case_items(session=session, case_id=case.id):
            if item.state in LIVE_WORK_ITEM_STATES:
                cancel_item(session=session, item=item, now=now, actor=actor)
        case.status = CaseStatus.CANCELLED.value
        case.closed_at = now
        case.next_timer_at = None
        store_state(session, case, workflow)
        case.updated_at = now
        audit.record(session, action="case.cancelled", actor=actor, at=now, case_id=case.id, reason=reason.strip())
        session.commit()
        return case
