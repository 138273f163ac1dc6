"""The tick: every timer that fell due fires, one case per transaction; then late escalations climb.

The worker ticks on real time; the simulated clock's endpoint and rehearsals tick on theirs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases.commands import run_command
from engine.cases.models import Case, CaseStatus, WorkItem
from engine.cases.stepping import flag_error
from engine.clock import Clock
from engine.db import is_postgres
from engine.deadlines.service import climb_due
from engine.errors import Conflict, KhumkrongError, WorkflowFailure
from engine.network.definition import Network
from engine.people.actors import SYSTEM
from engine.workflow.types import Workflow


@dataclass
class TickReport:
    cases_examined: int = 0
    timers_fired: int = 0
    escalations_climbed: int = 0
    failed_case_ids: list[int] = field(default_factory=list)


# Due cases are read this many at a time (in due order, without locks), then claimed one by one.
BATCH = 100


def tick(*, session: Session, clock: Clock, network: Network, limit: int | None = None) -> TickReport:
    """Fire every timer that is due, one case per transaction; then climb late escalations.

    The due cases are walked once, in due order, a batch at a time: a cursor past the last one read
    (not a list of the cases seen, which every query would carry and grow). Each is then claimed
    alone, by its id and only if it is still due. On PostgreSQL the claim is ``FOR NO KEY UPDATE
    SKIP LOCKED``, so several workers can tick at once without waiting on, or firing twice, the
    same case: two that read the same batch take turns through it, each passing over the case the
    other holds or has just fired (a look-up by primary key) instead of queueing behind it.
    """
    report = TickReport()
    after: tuple[datetime, int] | None = None  # the last (due time, id) read
    while limit is None or report.cases_examined < limit:
        batch = _due_batch(session, now=clock.now(), after=after)
        if not batch:
            session.rollback()
            break
        after = batch[-1]
        for _, case_id in batch:
            if limit is not None and report.cases_examined >= limit:
                break
            if _claim(session, case_id, now=clock.now()) is None:
                session.rollback()  # fired meanwhile, or held by another worker or a user's command
                continue
            report.cases_examined += 1
            _fire(session, case_id, clock=clock, network=network, report=report)
    report.escalations_climbed = climb_due(session=session, clock=clock, network=network)
    return report


def _due_batch(session: Session, *, now: datetime, after: tuple[datetime, int] | None) -> list[tuple[datetime, int]]:
    """The next due cases (due time and id) after ``after``, unlocked: a claim checks each again."""
    statement = (
        select(Case.next_timer_at, Case.id)
        .where(Case.status == CaseStatus.ACTIVE.value, Case.next_timer_at < now)
        .order_by(Case.next_timer_at, Case.id)
        .limit(BATCH)
    )
    if after is not None:
        # The index on (status, next_timer_at) takes the first condition; the id breaks ties.
        statement = statement.where(Case.next_timer_at >= after[0],
                                    or_(Case.next_timer_at > after[0], Case.id > after[1]))
    return [(due, case_id) for due, case_id in session.execute(statement) if due is not None]


def _claim(session: Session, case_id: int, *, now: datetime) -> int | None:
    """The case's id if it is still due, locked on PostgreSQL unless another transaction holds it."""
    statement = select(Case.id).where(Case.id == case_id, Case.status == CaseStatus.ACTIVE.value, Case.next_timer_at < now)
    if is_postgres(session):
        # FOR NO KEY UPDATE, as lock_case takes it (see there), which run_command takes again.
        statement = statement.with_for_update(key_share=True, skip_locked=True)
    return session.scalar(statement)


def _fire(session: Session, case_id: int, *, clock: Clock, network: Network, report: TickReport) -> None:
    """One claimed case's due timers, in its own transaction (committed, or the case set aside)."""
    try:
        _, fired = run_command(
            session=session, case_id=case_id, clock=clock, actor=SYSTEM, act=_fire_due_timers,
            network=network, flag_failures=True, skip_locked=True,
        )
        report.timers_fired += len(fired)
    except Conflict:
        pass  # a user's command got there first, and it fires due timers too
    except KhumkrongError:
        report.failed_case_ids.append(case_id)
    except Exception as exc:  # noqa: BLE001 - one broken case must not stop the sweep
        flag_error(session=session, case_id=case_id, exc=WorkflowFailure(f"tick failed: {exc!r}"), clock=clock, actor=SYSTEM)
        report.failed_case_ids.append(case_id)


def _fire_due_timers(case: Case, workflow: Workflow, items: list[WorkItem], now: datetime) -> None:
    """Nothing to do beyond what every command does: the timers fire in its advance step."""
