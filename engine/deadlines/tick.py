"""The tick: every timer that fell due fires, one case per transaction; then late escalations climb.

The worker ticks on real time; the simulated clock's endpoint and rehearsals tick on theirs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
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


def tick(*, session: Session, clock: Clock, network: Network, limit: int | None = None) -> TickReport:
    """Fire every timer that is due, one case per transaction; then climb late escalations.

    On PostgreSQL each case is taken with ``FOR NO KEY UPDATE SKIP LOCKED``, so several workers can
    tick at once without waiting on, or firing twice, the same case.
    """
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
            # FOR NO KEY UPDATE, as lock_case takes it (see there), which run_command takes again.
            statement = statement.with_for_update(key_share=True, skip_locked=True)
        case_id = session.scalar(statement)
        if case_id is None:
            session.rollback()
            break
        examined.add(case_id)
        report.cases_examined += 1
        try:
            _, fired = run_command(
                session=session, case_id=case_id, clock=clock, actor=SYSTEM, act=_fire_due_timers,
                network=network, flag_failures=True, skip_locked=True,
            )
            report.timers_fired += len(fired)
        except Conflict:
            continue  # a user's command got there first, and it fires due timers too
        except KhumkrongError:
            report.failed_case_ids.append(case_id)
        except Exception as exc:  # noqa: BLE001 - one broken case must not stop the sweep
            flag_error(session=session, case_id=case_id, exc=WorkflowFailure(f"tick failed: {exc!r}"), clock=clock, actor=SYSTEM)
            report.failed_case_ids.append(case_id)
    report.escalations_climbed = climb_due(session=session, clock=clock, network=network)
    return report


def _fire_due_timers(case: Case, workflow: Workflow, items: list[WorkItem], now: datetime) -> None:
    """Nothing to do beyond what every command does: the timers fire in its advance step."""
