"""How much work is waiting, in figures for operators (the metrics endpoint reads them).

Every figure is one aggregate over indexed columns (``ix_work_items_agency_state_due``,
``ix_escalations_status_climb_at``, ``ix_outbox_messages_status_next_attempt_at``,
``ix_cases_status_next_timer_at``); none loads a workflow, none names a child or a case.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, Escalation, EscalationStatus, WorkItem
from engine.clock import as_utc
from engine.notify.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class AgencyWork:
    open: int
    overdue: int


@dataclass(frozen=True)
class Backlog:
    # Live (open or claimed) work items per agency, and how many of them are past due.
    work_by_agency: dict[str, AgencyWork] = field(default_factory=dict)
    # Escalations nobody has acknowledged yet, per level.
    open_escalations_by_level: dict[int, int] = field(default_factory=dict)
    # Outbox messages not yet sent (pending or being sent), and the age of the oldest due one.
    outbox_unsent: dict[str, int] = field(default_factory=dict)
    outbox_oldest_due_seconds: float = 0.0
    # How far behind the workers are: the age of the oldest timer or escalation climb that is
    # due and not yet handled (0 when nothing is waiting).
    worker_lag_seconds: float = 0.0


def _age(now: datetime, oldest: datetime | None) -> float:
    return max((now - as_utc(oldest)).total_seconds(), 0.0) if oldest is not None else 0.0


_UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


def mail_due(*, session: Session, now: datetime) -> int:
    """How many outbox messages are due for sending and not yet sent: a sender that has stopped,
    or a mail server that refuses, shows here before anyone misses a notice."""
    return int(session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.status.in_(_UNSENT), OutboxMessage.next_attempt_at <= now)
    ) or 0)


def read_backlog(*, session: Session, now: datetime) -> Backlog:
    live = WorkItem.state.in_(LIVE_WORK_ITEM_STATES)
    work = {
        agency: AgencyWork(open=count, overdue=int(overdue or 0))
        for agency, count, overdue in session.execute(
            select(WorkItem.agency_code, func.count(), func.sum(case((WorkItem.due_at < now, 1), else_=0)))
            .where(live)
            .group_by(WorkItem.agency_code)
        )
    }
    open_escalation = Escalation.status == EscalationStatus.OPEN.value
    escalations = dict(
        session.execute(select(Escalation.level, func.count()).where(open_escalation).group_by(Escalation.level)).all()
    )
    unsent_statuses = _UNSENT
    outbox = dict(
        session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_(unsent_statuses))
            .group_by(OutboxMessage.status)
        ).all()
    )
    oldest_mail = session.scalar(
        select(func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status.in_(unsent_statuses), OutboxMessage.next_attempt_at <= now)
    )
    oldest_timer = session.scalar(
        select(func.min(Case.next_timer_at)).where(Case.status == CaseStatus.ACTIVE.value, Case.next_timer_at < now)
    )
    oldest_climb = session.scalar(select(func.min(Escalation.climb_at)).where(open_escalation, Escalation.climb_at <= now))
    return Backlog(
        work_by_agency=work,
        open_escalations_by_level={int(level): count for level, count in escalations.items()},
        outbox_unsent={status: outbox.get(status, 0) for status in unsent_statuses},
        outbox_oldest_due_seconds=_age(now, oldest_mail),
        worker_lag_seconds=max(_age(now, oldest_timer), _age(now, oldest_climb)),
    )
