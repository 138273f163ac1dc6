"""The runtime commands. Each is one database transaction:

lock the case → restore its workflow → act → fire due timers and run engine steps → guard the
tree depth → sync work items, status and ``next_timer_at`` → serialise → audit → commit.

The case row is locked with ``SELECT … FOR UPDATE`` on PostgreSQL; on every database the
case's ``version`` column is checked and bumped by the UPDATE (optimistic concurrency), so a
lost race becomes :class:`Conflict`, never a silent overwrite.
"""
from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.cases.escalations import raise_for_code, raise_for_deadline
from engine.cases.links import linked_cases
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseLink, CaseStatus, WorkItem, WorkItemState
from engine.cases.references import next_reference
from engine.cases.rights import ensure_may_assign, ensure_may_work, may_work
from engine.cases.work_items import notify_assignment, sync_work_items
from engine.children.service import (
    CHILD_RECORD_FLAG,
    CHILD_UPDATE_FLAG,
    record_child_for_case,
    update_child_from_form,
)
from engine.clock import Clock, clock_in_effect
from engine.db import is_postgres
from engine.deadlines.service import climb_due
from engine.errors import (
    Conflict,
    DepthLimitExceeded,
    InvalidInput,
    InvalidState,
    KhumkrongError,
    NotFound,
    WorkflowFailure,
)
from engine.forms.service import form_schema
from engine.forms.validation import validate_form_data
from engine.network.definition import Network, current_network
from engine.people.actors import SYSTEM, Actor
from engine.people.models import User
from engine.protocols.models import ProtocolVersion
from engine.protocols.parsing import UserTaskDescriptor, descriptors_from_json
from engine.protocols.service import latest_published, published_versions
from engine.workflow.expressions import ExpressionError
from engine.workflow.serialization import SpecCache, new_workflow, restore_workflow, state_json_of
from engine.workflow.tree import (
    attached_task,
    element_id,
    escalation_code,
    has_live_tasks,
    has_ready_engine_tasks,
    max_depth,
    nearest_manual_ancestor,
    next_timer_at,
    timers_fired_since,
    waiting_timers,
)

# SpiffWorkflow's task iterators stop silently at depth 1000. Refuse well before that, and
# warn (audit) once a case passes the warning depth.
DEPTH_LIMIT = 900
DEPTH_WARNING = 500

MAX_ENGINE_ROUNDS = 20
# Referrals may start cases that refer on; a longer chain within one command is a modelling loop.
MAX_REFERRAL_DEPTH = 5

FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_FORM_BYTES = 256 * 1024

# Protocol versions never change once stored, so their spec and task catalogue are cached —
# per database, because version ids are only unique within one.
_CACHES: weakref.WeakKeyDictionary[Engine, tuple[SpecCache, SpecCache]] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _caches(session: Session) -> tuple[SpecCache, SpecCache]:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with _CACHES_LOCK:
        if engine not in _CACHES:
            _CACHES[engine] = (SpecCache(), SpecCache())
        return _CACHES[engine]


@dataclass
class TickReport:
    cases_examined: int = 0
    timers_fired: int = 0
    escalations_climbed: int = 0
    failed_case_ids: list[int] = field(default_factory=list)


# -- helpers ------------------------------------------------------------------------------------


def _spec_json(session: Session, version_id: int) -> str:
    return _caches(session)[0].get(
        version_id,
        lambda: session.scalar(select(ProtocolVersion.spec_json).where(ProtocolVersion.id == version_id)),
    )


def _descriptors(session: Session, version_id: int) -> dict[str, UserTaskDescriptor]:
    return _caches(session)[1].get(
        version_id,
        lambda: descriptors_from_json(
            session.scalar(select(ProtocolVersion.tasks_json).where(ProtocolVersion.id == version_id))
        ),
    )


def lock_case(session: Session, case_id: int, *, skip_locked: bool = False) -> Case | None:
    statement = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if is_postgres(session):
        statement = statement.with_for_update(skip_locked=skip_locked)
    return session.scalars(statement).one_or_none()


def check_form_data(data: Any) -> dict[str, Any]:
    """Form data becomes workflow variables: flat names, JSON values, bounded size."""
    if not isinstance(data, dict):
        raise InvalidInput("form data must be an object of field names and values", field="data")
    for name in data:
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            raise InvalidInput(
                f"field name {name!r} must start with a letter and use only letters, digits and '_'",
                field=str(name),
            )
    try:
        encoded = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"form data is not plain JSON: {exc}", field="data") from exc
    if len(encoded.encode("utf-8")) > MAX_FORM_BYTES:
        raise InvalidInput(f"form data exceeds {MAX_FORM_BYTES} bytes", field="data")
    return json.loads(encoded)


@dataclass
class Advance:
    """What happened while the engine ran: timer tasks that fired, escalation events thrown."""

    fired_timers: list[Any] = field(default_factory=list)
    thrown_escalations: list[Any] = field(default_factory=list)

    @property
    def timer_names(self) -> list[str]:
        return [element_id(task) for task in self.fired_timers]


def _advance(workflow: Any) -> Advance:
    """Fire due timers and run every automatic step.

    ``do_engine_steps`` re-checks timers only at its very end, so a timer that falls due while
    it runs (a date already past, say) is left READY; go round again until nothing automatic
    is ready, or the rounds run out (a zero-length cycle timer must not spin forever).
    """
    result = Advance()

    def note_completion(task: Any) -> None:
        if escalation_code(task) is not False:
            result.thrown_escalations.append(task)

    try:
        for _ in range(MAX_ENGINE_ROUNDS):
            before = waiting_timers(workflow)
            workflow.refresh_timers()
            workflow.do_engine_steps(did_complete_task=note_completion)
            result.fired_timers.extend(timers_fired_since(before))
            if not has_ready_engine_tasks(workflow):
                break
    except (WorkflowException, ExpressionError) as exc:
        raise WorkflowFailure(f"the protocol failed while running: {exc}") from exc
    return result


def _raise_escalations(session: Session, *, case: Case, advance: Advance, now: datetime, network: Network) -> None:
    """Turn fired deadline timers and thrown escalation events into escalation records."""
    if not advance.fired_timers and not advance.thrown_escalations:
        return
    items = {item.task_id: item for item in session.scalars(select(WorkItem).where(WorkItem.case_id == case.id))}
    for timer in advance.fired_timers:
        owner = attached_task(timer)
        item = items.get(str(owner.id)) if owner is not None and owner.task_spec.manual else None
        if item is not None:
            raise_for_deadline(session, case=case, work_item=item, timer_element=element_id(timer), now=now, network=network)
    for thrower in advance.thrown_escalations:
        came_from = nearest_manual_ancestor(thrower)
        item = items.get(str(came_from.id)) if came_from is not None else None
        lane = network.assign_lane(thrower.task_spec.lane)
        raise_for_code(
            session, case=case, code=escalation_code(thrower), source_element=element_id(thrower),
            agency_code=lane.agency_code if lane else (item.agency_code if item else None),
            work_item=item, now=now, network=network,
        )


def _settle(
    session: Session,
    *,
    case: Case,
    workflow: Any,
    now: datetime,
    actor: Actor,
) -> None:
    """After acting: guard depth, sync work items and timers, decide status, serialise."""
    depth = max_depth(workflow)
    if depth >= DEPTH_LIMIT:
        raise DepthLimitExceeded(
            f"case {case.reference} reached task-tree depth {depth} (limit {DEPTH_LIMIT}); "
            "SpiffWorkflow stops silently at 1000, so the engine refuses to go on. "
            "The protocol loops through a back-edge: model the loop as a looping subprocess.",
            depth=depth,
        )
    if depth >= DEPTH_WARNING > case.max_task_depth:
        audit.record(session, action="case.depth_warning", actor=actor, at=now, case_id=case.id, depth=depth)
    case.max_task_depth = max(case.max_task_depth, depth)

    sync_work_items(
        session, case=case, workflow=workflow,
        descriptors=_descriptors(session, case.protocol_version_id), now=now, actor=actor,
    )
    live = has_live_tasks(workflow)
    if workflow.is_completed():
        if live:
            raise WorkflowFailure(
                f"SpiffWorkflow reports case {case.reference} complete while tasks are still live"
            )
        case.status = CaseStatus.COMPLETED.value
        case.closed_at = now
        case.next_timer_at = None
        audit.record(session, action="case.completed", actor=actor, at=now, case_id=case.id)
    else:
        case.next_timer_at = next_timer_at(workflow)
    case.state_json = state_json_of(workflow)
    case.updated_at = now


def _flag_error(session: Session, *, case_id: int, exc: KhumkrongError, clock: Clock, actor: Actor) -> None:
    """Mark a case as needing an administrator, in a transaction of its own."""
    session.rollback()
    now = clock.now()
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(status=CaseStatus.ERROR.value, error_message=exc.message, updated_at=now, version=Case.version + 1)
        .execution_options(synchronize_session=False)
    )
    audit.record(session, action="case.error", actor=actor, at=now, case_id=case_id, error=exc.code, message=exc.message)
    session.commit()


def _run_command(
    session: Session,
    *,
    case_id: int,
    clock: Clock,
    actor: Actor,
    act: Callable[[Case, Any, datetime], None],
    network: Network,
    flag_failures: bool = False,
    skip_locked: bool = False,
) -> tuple[Case | None, list[str]]:
    try:
        with clock_in_effect(clock):
            case = lock_case(session, case_id, skip_locked=skip_locked)
            if case is None:
                if skip_locked:
                    session.rollback()
                    return None, []
                raise NotFound(f"case {case_id} does not exist", field="case_id")
            if case.status != CaseStatus.ACTIVE.value:
                raise InvalidState(f"case {case.reference} is {case.status}", status=case.status)
            now = clock.now()
            workflow = restore_workflow(case.state_json, _spec_json(session, case.protocol_version_id))
            act(case, workflow, now)
            advance = _advance(workflow)
            if advance.fired_timers:
                audit.record(
                    session, action="case.timers_fired", actor=actor, at=now, case_id=case.id,
                    timers=advance.timer_names,
                )
            _settle(session, case=case, workflow=workflow, now=now, actor=actor)
            _raise_escalations(session, case=case, advance=advance, now=now, network=network)
            _route_messages(session, case=case, workflow=workflow, now=now, actor=actor, network=network, depth=0)
            case.state_json = state_json_of(workflow)
            session.commit()
            return case, advance.timer_names
    except (StaleDataError, OperationalError) as exc:
        session.rollback()
        if isinstance(exc, OperationalError) and not any(w in str(exc).lower() for w in ("locked", "deadlock")):
            raise
        raise Conflict(f"case {case_id} was changed by someone else at the same time; reload and retry") from exc
    except DepthLimitExceeded as exc:
        _flag_error(session, case_id=case_id, exc=exc, clock=clock, actor=actor)
        raise
    except WorkflowFailure as exc:
        if flag_failures:
            _flag_error(session, case_id=case_id, exc=exc, clock=clock, actor=actor)
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


def _live_item(session: Session, work_item_id: int) -> WorkItem:
    item = session.scalars(
        select(WorkItem).where(WorkItem.id == work_item_id).execution_options(populate_existing=True)
    ).one_or_none()
    if item is None:
        raise NotFound(f"work item {work_item_id} does not exist", field="work_item_id")
    return item


# -- commands -----------------------------------------------------------------------------------


def _open_case(
    session: Session,
    *,
    version: ProtocolVersion,
    data: dict[str, Any],
    actor: Actor,
    now: datetime,
    network: Network,
    reporting_unit: str | None,
    child_id: int | None = None,
    referral_depth: int = 0,
    trigger: Any = None,
) -> Case:
    """Create a case and run it to its first waits (inside the caller's transaction).

    ``trigger`` is the referral message that starts it: a protocol whose only start is a message
    start event receives it; one that also has a plain start event has already begun there.
    """
    workflow = new_workflow(_spec_json(session, version.id))
    workflow.get_next_task(state=TaskState.READY).set_data(**data)
    case = Case(
        reference=next_reference(session, prefix=network.reference_prefix, at=now),
        protocol_version_id=version.id,
        status=CaseStatus.ACTIVE.value,
        state_json="{}",
        started_by_id=actor.user_id,
        child_id=child_id,
        reporting_unit=reporting_unit,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    audit.record(
        session, action="case.started", actor=actor, at=now, case_id=case.id,
        protocol_version_id=version.id, protocol=version.key, version=version.version,
        reporting_unit=reporting_unit,
    )
    advance = _advance(workflow)
    if trigger is not None and trigger.event_definition.name in {p.name for p in workflow.waiting_events()}:
        workflow.send_event(trigger)
        more = _advance(workflow)
        advance.fired_timers.extend(more.fired_timers)
        advance.thrown_escalations.extend(more.thrown_escalations)
    _settle(session, case=case, workflow=workflow, now=now, actor=actor)
    _raise_escalations(session, case=case, advance=advance, now=now, network=network)
    _route_messages(session, case=case, workflow=workflow, now=now, actor=actor, network=network, depth=referral_depth)
    case.state_json = state_json_of(workflow)
    return case


def _route_messages(
    session: Session, *, case: Case, workflow: Any, now: datetime, actor: Actor, network: Network, depth: int
) -> None:
    """Messages the case threw that nothing inside it caught: referrals that start other cases.

    Each starts the protocol whose message start event names it, as a new case linked to this
    one and to the same child, carrying the message's declared payload and nothing more.
    """
    for event in workflow.get_events():
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        targets = [v for v in published_versions(session=session) if definition.name in json.loads(v.message_starts or "[]")]
        if not targets:
            if not _deliver_to_linked(session, case=case, event=event, now=now, actor=actor, network=network, depth=depth):
                audit.record(session, action="case.message_unrouted", actor=actor, at=now, case_id=case.id, message=definition.name)
            continue
        if depth >= MAX_REFERRAL_DEPTH:
            raise WorkflowFailure(
                f"case {case.reference}: referral {definition.name!r} would chain more than {MAX_REFERRAL_DEPTH} cases"
            )
        payload = check_form_data(event.payload if isinstance(event.payload, dict) else {})
        for version in targets:
            referred = _open_case(
                session, version=version, data={**payload, "referred_from": case.reference}, actor=actor, now=now,
                network=network, reporting_unit=case.reporting_unit, child_id=case.child_id, referral_depth=depth + 1,
                trigger=event,
            )
            session.add(CaseLink(from_case_id=case.id, to_case_id=referred.id, message=definition.name, created_at=now))
            audit.record(
                session, action="case.referred", actor=actor, at=now, case_id=case.id,
                message=definition.name, to_case=referred.reference, protocol=version.key,
            )


def _deliver_to_linked(
    session: Session, *, case: Case, event: Any, now: datetime, actor: Actor, network: Network, depth: int
) -> bool:
    """Hand a message to the linked case that waits for it (a reply to a referral, say).

    Cases correlate through their referral link: a message goes only to a case this one referred
    or was referred by, and only if that case is waiting for a message of that name.
    """
    name = event.event_definition.name
    if depth >= MAX_REFERRAL_DEPTH:
        raise WorkflowFailure(f"case {case.reference}: message {name!r} would chain more than {MAX_REFERRAL_DEPTH} cases")
    for other in linked_cases(session, case.id):
        if other.status != CaseStatus.ACTIVE.value:
            continue
        target = lock_case(session, other.id)
        workflow = restore_workflow(target.state_json, _spec_json(session, target.protocol_version_id))
        if name not in {pending.name for pending in workflow.waiting_events()}:
            continue
        try:
            workflow.send_event(event)
        except WorkflowException:
            continue  # its correlation values do not match this message
        advance = _advance(workflow)
        _settle(session, case=target, workflow=workflow, now=now, actor=actor)
        _raise_escalations(session, case=target, advance=advance, now=now, network=network)
        _route_messages(session, case=target, workflow=workflow, now=now, actor=actor, network=network, depth=depth + 1)
        target.state_json = state_json_of(workflow)
        audit.record(session, action="case.message_sent", actor=actor, at=now, case_id=case.id, message=name, to_case=target.reference)
        audit.record(session, action="case.message_received", actor=actor, at=now, case_id=target.id, message=name, from_case=case.reference)
        return True
    return False


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
    """Start a case on the newest published version of a protocol."""
    data = check_form_data(data)
    reporting_unit = reporting_unit or data.get("reporting_unit")
    if reporting_unit is not None and reporting_unit not in network.units and reporting_unit not in network.agencies:
        raise InvalidInput(f"{reporting_unit!r} is neither a reporting unit nor an agency", field="reporting_unit")
    try:
        with clock_in_effect(clock):
            version = latest_published(session=session, key=protocol_key)
            case = _open_case(
                session, version=version, data=data, actor=actor, now=clock.now(), network=network,
                reporting_unit=reporting_unit,
            )
            session.commit()
            return case
    except BaseException:
        session.rollback()
        raise


def _set_assignment(session: Session, item: WorkItem, *, only_if: Any, state: WorkItemState, assignee_id: int | None,
                    conflict: str) -> None:
    """Change who holds a work item in one conditional UPDATE, atomic on every database."""
    changed = session.execute(
        update(WorkItem)
        .where(WorkItem.id == item.id, only_if)
        .values(state=state.value, assignee_id=assignee_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        session.rollback()
        raise Conflict(f"work item {item.id} {conflict}", work_item_id=item.id)


def claim(*, session: Session, work_item_id: int, actor: Actor, clock: Clock) -> WorkItem:
    item = _live_item(session, work_item_id)
    ensure_may_work(actor, item)
    _set_assignment(
        session, item, only_if=WorkItem.state == WorkItemState.OPEN.value,
        state=WorkItemState.CLAIMED, assignee_id=actor.user_id, conflict="is not open any more",
    )
    audit.record(session, action="work_item.claimed", actor=actor, at=clock.now(), case_id=item.case_id, work_item_id=item.id)
    session.commit()
    return _live_item(session, work_item_id)


def unclaim(*, session: Session, work_item_id: int, actor: Actor, clock: Clock) -> WorkItem:
    item = _live_item(session, work_item_id)
    ensure_may_work(actor, item)
    _set_assignment(
        session, item,
        only_if=(WorkItem.state == WorkItemState.CLAIMED.value) & (WorkItem.assignee_id == actor.user_id),
        state=WorkItemState.OPEN, assignee_id=None, conflict=f"is not claimed by {actor.username}",
    )
    audit.record(session, action="work_item.unclaimed", actor=actor, at=clock.now(), case_id=item.case_id, work_item_id=item.id)
    session.commit()
    return _live_item(session, work_item_id)


def reassign(*, session: Session, work_item_id: int, assignee_id: int, actor: Actor, clock: Clock) -> WorkItem:
    """A supervisor gives a task to a named person of the owning agency."""
    item = _live_item(session, work_item_id)
    ensure_may_assign(actor, item)
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active:
        raise InvalidInput(f"user {assignee_id} does not exist or is disabled", field="assignee_id")
    if not may_work(Actor.of(assignee), item):
        raise InvalidInput(
            f"{assignee.username} cannot work task {item.task_name!r} of agency {item.agency_code}",
            field="assignee_id",
        )
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
    item = _live_item(session, work_item_id)
    notify_assignment(session, item=item, assignee=assignee, now=now)
    session.commit()
    return item


def complete(
    *,
    session: Session,
    work_item_id: int,
    data: dict[str, Any],
    actor: Actor,
    clock: Clock,
    network: Network | None = None,
    child_id: int | None = None,
) -> WorkItem:
    """Complete a work item with its form data and move the case on.

    The data is checked against the task's form. An intake form (one marked as the child's
    record) links the case to the child's record: by identifier, or to ``child_id`` when the
    person completing it confirmed a suggested match.
    """
    data = check_form_data(data)
    item = _live_item(session, work_item_id)
    ensure_may_work(actor, item)

    def act(case: Case, workflow: Any, now: datetime) -> None:
        current = _live_item(session, work_item_id)  # re-read under the case lock
        if current.state not in LIVE_WORK_ITEM_STATES:
            raise Conflict(f"work item {work_item_id} is already {current.state}", work_item_id=work_item_id)
        if current.state == WorkItemState.CLAIMED.value and current.assignee_id != actor.user_id:
            raise Conflict(f"work item {work_item_id} is claimed by someone else", work_item_id=work_item_id)
        task = workflow.get_task_from_id(UUID(current.task_id))
        if task is None or task.state != TaskState.READY:
            raise Conflict(f"task of work item {work_item_id} is not ready", work_item_id=work_item_id)
        schema = form_schema(session, current.form_key)
        if schema is not None:
            validate_form_data(schema, data, form_key=current.form_key)
            if schema.get(CHILD_RECORD_FLAG):
                record_child_for_case(session, case=case, data=data, now=now, actor=actor, confirmed_child_id=child_id)
            elif schema.get(CHILD_UPDATE_FLAG):
                update_child_from_form(session, case=case, data=data, now=now, actor=actor)
        task.set_data(**data)
        task.run()
        current.state = WorkItemState.COMPLETED.value
        current.assignee_id = current.assignee_id or actor.user_id
        current.completed_at = now
        current.completed_by_id = actor.user_id
        audit.record(
            session, action="work_item.completed", actor=actor, at=now, case_id=case.id,
            work_item_id=current.id, task=current.task_name, fields=sorted(data),
        )

    _run_command(session, case_id=item.case_id, clock=clock, actor=actor, act=act, network=network or current_network())
    return _live_item(session, work_item_id)


def cancel_case(*, session: Session, case_id: int, reason: str, actor: Actor, clock: Clock) -> Case:
    """Withdraw a case: every live task is cancelled and no timer will fire for it again."""
    if not reason or not reason.strip():
        raise InvalidInput("a reason is required to cancel a case", field="reason")
    try:
        with clock_in_effect(clock):
            case = lock_case(session, case_id)
            if case is None:
                raise NotFound(f"case {case_id} does not exist", field="case_id")
            if case.status not in (CaseStatus.ACTIVE.value, CaseStatus.ERROR.value):
                raise InvalidState(f"case {case.reference} is {case.status}", status=case.status)
            now = clock.now()
            workflow = restore_workflow(case.state_json, _spec_json(session, case.protocol_version_id))
            workflow.cancel()
            for item in session.scalars(
                select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state.in_(LIVE_WORK_ITEM_STATES))
            ):
                item.state = WorkItemState.CANCELLED.value
                item.completed_at = now
                audit.record(
                    session, action="work_item.cancelled", actor=actor, at=now, case_id=case.id,
                    work_item_id=item.id, task=item.task_name,
                )
            case.status = CaseStatus.CANCELLED.value
            case.closed_at = now
            case.next_timer_at = None
            case.state_json = state_json_of(workflow)
            case.updated_at = now
            audit.record(session, action="case.cancelled", actor=actor, at=now, case_id=case.id, reason=reason.strip())
            session.commit()
            return case
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(f"case {case_id} was changed by someone else at the same time; reload and retry") from exc
    except BaseException:
        session.rollback()
        raise


def tick(*, session: Session, clock: Clock, network: Network | None = None, limit: int | None = None) -> TickReport:
    """Fire every timer that is due, one case per transaction; then climb late escalations.

    On PostgreSQL each case is taken with ``FOR UPDATE SKIP LOCKED``, so several workers can
    tick at once without waiting on, or firing twice, the same case.
    """
    network = network or current_network()
    report = TickReport()
    examined: set[int] = set()
    while limit is None or report.cases_examined < limit:
        now = clock.now()
        statement = (
            select(Case.id)
            .where(Case.status == CaseStatus.ACTIVE.value, Case.next_timer_at < now)
            .order_by(Case.next_timer_at, Case.id)
            .limit(1)
        )
        if examined:
            statement = statement.where(Case.id.not_in(examined))
        if is_postgres(session):
            statement = statement.with_for_update(skip_locked=True)
        case_id = session.scalar(statement)
        if case_id is None:
            session.rollback()
            break
        examined.add(case_id)
        report.cases_examined += 1
        try:
            _, fired = _run_command(
                session, case_id=case_id, clock=clock, actor=SYSTEM, act=_fire_due_timers,
                network=network, flag_failures=True, skip_locked=True,
            )
            report.timers_fired += len(fired)
        except Conflict:
            continue  # a user's command got there first, and it fires due timers too
        except KhumkrongError:
            report.failed_case_ids.append(case_id)
        except Exception as exc:  # noqa: BLE001 - one broken case must not stop the sweep
            _flag_error(session, case_id=case_id, exc=WorkflowFailure(f"tick failed: {exc!r}"), clock=clock, actor=SYSTEM)
            report.failed_case_ids.append(case_id)
    report.escalations_climbed = climb_due(session=session, clock=clock, network=network)
    return report


def _fire_due_timers(case: Case, workflow: Any, now: datetime) -> None:
    """Nothing to do beyond what every command does: the timers fire in its advance step."""
