"""Moving a case's workflow on: what every command does around its own act.

lock the case (and read its work items) → restore its workflow → act → fire due timers and run
engine steps → guard the tree depth → sync work items, status and ``next_timer_at`` → raise
escalations → route messages (:mod:`engine.cases.referrals`) → serialise once → audit → commit.

The case row is locked first (:func:`lock_case`, ``SELECT … FOR NO KEY UPDATE`` on
PostgreSQL); on every database the case's ``version`` column is checked and bumped by the UPDATE
(optimistic concurrency), so a lost race becomes :class:`Conflict`, never a silent overwrite.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.cases.escalations import raise_for_code, raise_for_deadline
from engine.cases.live import note_locked, workflow_of
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, WorkItem
from engine.cases.work_items import sync_work_items
from engine.clock import Clock
from engine.db import is_postgres
from engine.errors import Conflict, DepthLimitExceeded, InvalidInput, KhumkrongError, NotFound, WorkflowFailure
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.protocols.cache import version_cache
from engine.workflow.running import Advance
from engine.workflow.tree import (
    attached_task,
    element_id,
    escalation_code,
    has_live_tasks,
    max_depth,
    nearest_manual_ancestor,
    next_timer_at,
)
from engine.workflow.types import Workflow

# SpiffWorkflow's task iterators stop silently at depth 1000. Refuse well before that, and
# warn (audit) once a case passes the warning depth.
DEPTH_LIMIT = 900
DEPTH_WARNING = 500

FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_FORM_BYTES = 256 * 1024


def lock_case(*, session: Session, case_id: int, skip_locked: bool = False) -> Case | None:
    """The case, locked for the rest of the transaction: the first lock every command that
    writes to a case, its work items, comments or escalations takes (one order, no deadlock).

    PostgreSQL: ``FOR NO KEY UPDATE``. It keeps other commands on the case waiting, but not the
    ``KEY SHARE`` lock that a foreign key to ``cases`` takes when an audit row, comment or work
    item of the case is inserted; ``FOR UPDATE`` blocked those, and a claim that had updated its
    work item then waited on the case while the completion holding the case waited on the work
    item (issue 9, item 6). SQLite has no row locks: its one database write lock, taken by a
    transaction's first write, serialises writers, so their order cannot cross.
    """
    statement = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if is_postgres(session):
        statement = statement.with_for_update(key_share=True, skip_locked=skip_locked)
    case = session.scalars(statement).one_or_none()
    if case is not None:
        note_locked(session, case)
    return case


_ANSWERED_CASE = "khumkrong.answered_case"


def hold_for_answer(session: Session, case: Case) -> None:
    """Keep the case a command just moved referenced until the session ends (the last one only),
    so that the answer can name it (``engine.cases.reads.task_view``) without reading it again:
    the session holds its rows weakly, and a second read after the commit would take a
    connection and a transaction of its own."""
    session.info[_ANSWERED_CASE] = case


@contextmanager
def one_transaction(session: Session, case_id: int) -> Iterator[None]:
    """A command's transaction: rolled back on any failure; a lost race on the case's version
    is a Conflict."""
    try:
        yield
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(f"case {case_id} was changed by someone else at the same time; reload and retry") from exc
    except BaseException:
        session.rollback()
        raise


def lock_cases(*, session: Session, case_ids: Iterable[int]) -> list[Case]:
    """Several cases locked as :func:`lock_case` does, in ascending id order (the one order of
    any command that needs more than one)."""
    statement = (
        select(Case).where(Case.id.in_(sorted(set(case_ids)))).order_by(Case.id)
        .execution_options(populate_existing=True)
    )
    if is_postgres(session):
        statement = statement.with_for_update(key_share=True)
    return list(session.scalars(statement))


def take(*, session: Session, case: Case, now: datetime) -> None:
    """Check and bump the case's version now, before the command writes anything else.

    On PostgreSQL the row is locked already. On SQLite, whose reads hold no lock, this UPDATE is
    what makes a second command that read the same version fail (StaleDataError, a Conflict)
    before it writes a work item the first one already wrote, and it serialises the writers.
    """
    case.updated_at = now
    flag_modified(case, "updated_at")  # an UPDATE even when "now" has not moved
    session.flush()


def lock_to_move(*, session: Session, case_id: int, now: datetime, skip_locked: bool = False) -> Case | None:
    """:func:`lock_case` and :func:`take` for a command that moves the case's workflow, in one
    statement instead of two.

    PostgreSQL: the row lock alone keeps every other writer out until the commit, so the version
    is checked and bumped by the command's one UPDATE of the case at its end (:func:`settle`
    always makes one). SQLite: ``UPDATE … RETURNING`` bumps the version and takes the database's
    write lock before anything is read, so a second command cannot act on the same version.
    """
    if is_postgres(session):
        return lock_case(session=session, case_id=case_id, skip_locked=skip_locked)
    statement = (
        update(Case).where(Case.id == case_id).values(version=Case.version + 1, updated_at=now).returning(Case)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    case = session.scalars(statement).one_or_none()
    if case is not None:
        # The version before this command's bump: what the cache of live workflows was keyed by.
        note_locked(session, case, version=case.version - 1)
    return case


def case_items(*, session: Session, case_id: int) -> list[WorkItem]:
    """The live (open or claimed) work items of a case, read afresh: under the case lock, what
    the command acts on. Finished ones never change again, so a command does not read the
    case's whole history."""
    return list(session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state.in_(LIVE_WORK_ITEM_STATES))
        .order_by(WorkItem.id).execution_options(populate_existing=True)
    ))


def find_item(*, session: Session, work_item_id: int) -> WorkItem:
    """A work item, to learn its case and check rights before the case is locked."""
    item = session.get(WorkItem, work_item_id)
    if item is None:
        raise NotFound(f"work item {work_item_id} does not exist", field="work_item_id")
    return item


def restore(*, session: Session, case: Case) -> Workflow:
    """The locked case's workflow: kept in memory since this process last moved it, or rebuilt."""
    return workflow_of(session, case)


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
    result: dict[str, Any] = json.loads(encoded)
    return result


def raise_escalations(
    *, session: Session, case: Case, items: list[WorkItem], advance: Advance, now: datetime, network: Network
) -> None:
    """Turn fired deadline timers and thrown escalation events into escalation records."""
    if not advance.fired_timers and not advance.thrown_escalations:
        return
    by_task = {item.task_id: item for item in items}
    for timer in advance.fired_timers:
        owner = attached_task(timer)
        item = by_task.get(str(owner.id)) if owner is not None and owner.task_spec.manual else None
        if item is not None:
            raise_for_deadline(session=session, case=case, work_item=item, timer_element=element_id(timer), now=now, network=network)
    for thrower in advance.thrown_escalations:
        came_from = nearest_manual_ancestor(thrower)
        item = by_task.get(str(came_from.id)) if came_from is not None else None
        lane = network.assign_lane(thrower.task_spec.lane)
        raise_for_code(
            session=session, case=case, code=escalation_code(thrower), source_element=element_id(thrower),
            agency_code=lane.agency_code if lane else (item.agency_code if item else None),
            work_item=item, now=now, network=network,
        )


def settle(
    *,
    session: Session,
    case: Case,
    workflow: Workflow,
    items: list[WorkItem],
    now: datetime,
    actor: Actor,
) -> None:
    """After acting: guard depth, sync work items (adding new ones to ``items``), decide status
    and the next timer. Serialising is left to the end of the command, once."""
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
        session=session, case=case, workflow=workflow, items=items,
        descriptors=version_cache(session).get(session, case.protocol_version_id).descriptors, now=now, actor=actor,
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
    case.updated_at = now
    # Always an UPDATE of the case, which checks and bumps its version (lock_to_move leaves that
    # to this one write), even when "now" and the state have not moved.
    flag_modified(case, "updated_at")


def flag_error(*, session: Session, case_id: int, exc: KhumkrongError, clock: Clock, actor: Actor) -> None:
    """Mark a case as needing an administrator, in a transaction of its own."""
    session.rollback()
    now = clock.now()
    session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(status=CaseStatus.ERROR.value, error_message=exc.message, updated_at=now, version=Case.version + 1)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session, action="case.error", actor=actor, at=now, case_id=case_id, error=exc.code, message=exc.message,
        **audit.details_of(exc),
    )
    session.commit()
