"""What supervisors and the committee read about the network's timeliness, answered from SQL.

* The overdue list a supervisor (their agency's) or the committee (every agency's) works from,
  and its export, which is recorded like any read of case data.
* On-time rates: of the tasks with a deadline completed in the last N days, how many were
  completed by it, per agency.
* The committee's monitoring report (CPA s.20): per agency and per protocol over a period, the
  cases opened and closed, the tasks done and done on time, the escalations raised and the
  highest level they climbed to. Counts only: no child, no case is named.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from engine.cases.access import commit_read
from engine.cases.models import Case, Escalation, WorkItem, WorkItemState
from engine.deadlines.queries import MAX_PAGE_SIZE, OverdueItem, overdue_work_items
from engine.errors import Forbidden
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import PROVINCE_ROLES, SUPERVISION_ROLES
from engine.protocols.models import ProtocolVersion

# No export runs away: past this many rows a supervisor filters (the list is per agency anyway).
MAX_EXPORT_ROWS = 10_000


def overdue_scope(actor: Actor) -> str | None:
    """The agency whose overdue work the actor watches; None for the whole network."""
    if actor.is_system or actor.role not in SUPERVISION_ROLES:
        raise Forbidden(f"{actor.role} does not watch overdue work", role=actor.role)
    if actor.role in PROVINCE_ROLES:
        return None
    if actor.agency_code is None:
        raise Forbidden("a supervisor without an agency watches no work", role=actor.role)
    return actor.agency_code


def overdue_for(*, session: Session, actor: Actor, now: datetime, limit: int = 50, offset: int = 0) -> list[OverdueItem]:
    """The overdue work the actor watches, most overdue first."""
    return overdue_work_items(session=session, now=now, agency=overdue_scope(actor), visible_to=actor, limit=limit,
                              offset=offset)


def export_overdue(*, session: Session, actor: Actor, now: datetime) -> list[OverdueItem]:
    """Every overdue task the actor watches (up to ``MAX_EXPORT_ROWS``), for a file that leaves
    the application: the export is recorded, and committed, before the rows are returned."""
    agency = overdue_scope(actor)
    rows: list[OverdueItem] = []
    while len(rows) < MAX_EXPORT_ROWS:
        batch = overdue_work_items(session=session, now=now, agency=agency, visible_to=actor, limit=MAX_PAGE_SIZE,
                                   offset=len(rows))
        rows.extend(batch)
        if len(batch) < MAX_PAGE_SIZE:
            break
    commit_read(session=session, action="overdue.exported", actor=actor, at=now, agency=agency, rows=len(rows),
                case_ids=sorted({row.case_id for row in rows}))
    return rows


def holder_names(*, session: Session, rows: Iterable[OverdueItem]) -> dict[int, str]:
    """The user names of the people holding these overdue tasks (one query)."""
    ids = {row.assignee_id for row in rows if row.assignee_id is not None}
    if not ids:
        return {}
    return {user_id: name for user_id, name in session.execute(select(User.id, User.username).where(User.id.in_(ids)))}


@dataclass(frozen=True)
class OnTimeRate:
    agency_code: str
    done: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.done if self.done else None


def _on_time() -> ColumnElement[bool]:
    return and_(WorkItem.due_at.is_not(None), WorkItem.completed_at <= WorkItem.due_at)


def on_time_rates(*, session: Session, now: datetime, days: int) -> list[OnTimeRate]:
    """Per agency, the tasks with a deadline completed in the last ``days`` days and how many of
    them were completed by their deadline."""
    since = now - timedelta(days=days)
    rows = session.execute(
        select(WorkItem.agency_code, func.count(WorkItem.id), func.count(case((_on_time(), 1))))
        .where(WorkItem.state == WorkItemState.COMPLETED.value, WorkItem.due_at.is_not(None),
               WorkItem.completed_at > since, WorkItem.completed_at <= now)
        .group_by(WorkItem.agency_code)
        .order_by(WorkItem.agency_code)
    )
    return [OnTimeRate(agency, done, on_time) for agency, done, on_time in rows]


# -- the committee's report --------------------------------------------------------------------


@dataclass
class MonitoringRow:
    """One agency's or one protocol's figures over the report's period."""

    key: str
    cases_opened: int = 0
    cases_closed: int = 0
    tasks_done: int = 0
    tasks_with_deadline: int = 0
    tasks_on_time: int = 0
    escalations: int = 0
    # Escalations by the highest level they reached (an escalation climbs in place).
    escalations_by_level: dict[int, int] = field(default_factory=dict)

    @property
    def on_time_rate(self) -> float | None:
        return self.tasks_on_time / self.tasks_with_deadline if self.tasks_with_deadline else None

    @property
    def highest_level(self) -> int:
        return max(self.escalations_by_level, default=0)


@dataclass(frozen=True)
class MonitoringReport:
    start: datetime
    end: datetime
    by_agency: list[MonitoringRow]
    by_protocol: list[MonitoringRow]
    totals: MonitoringRow


def _rows(found: dict[str, MonitoringRow], key: str) -> MonitoringRow:
    if key not in found:
        found[key] = MonitoringRow(key)
    return found[key]


def _add_counts(found: dict[str, MonitoringRow], results: Iterable[Any], attribute: str) -> None:
    for key, count in results:
        setattr(_rows(found, key), attribute, count)


def monitoring_report(*, session: Session, start: datetime, end: datetime) -> MonitoringReport:
    """The committee's monitoring figures for ``start`` ≤ moment < ``end``."""
    by_agency: dict[str, MonitoringRow] = {}
    by_protocol: dict[str, MonitoringRow] = {}
    protocol = ProtocolVersion.key
    versions = (Case, ProtocolVersion.id == Case.protocol_version_id)

    def within(column: Any) -> ColumnElement[bool]:
        return and_(column >= start, column < end)

    # Cases: per protocol directly; per agency, the cases the agency held work in.
    for column, attribute in ((Case.created_at, "cases_opened"), (Case.closed_at, "cases_closed")):
        _add_counts(by_protocol, session.execute(
            select(protocol, func.count(Case.id)).join(*versions).where(within(column)).group_by(protocol)
        ), attribute)
        _add_counts(by_agency, session.execute(
            select(WorkItem.agency_code, func.count(func.distinct(Case.id)))
            .join(Case, Case.id == WorkItem.case_id).where(within(column)).group_by(WorkItem.agency_code)
        ), attribute)

    # Tasks completed in the period, with a deadline, and by it.
    done = and_(WorkItem.state == WorkItemState.COMPLETED.value, within(WorkItem.completed_at))
    task_counts = (func.count(WorkItem.id), func.count(WorkItem.due_at), func.count(case((_on_time(), 1))))
    task_groupings: tuple[tuple[dict[str, MonitoringRow], Any, bool], ...] = (
        (by_agency, WorkItem.agency_code, False), (by_protocol, protocol, True),
    )
    for found, key_column, joined in task_groupings:
        tasks_query = select(key_column, *task_counts).select_from(WorkItem)
        if joined:
            tasks_query = tasks_query.join(Case, Case.id == WorkItem.case_id).join(
                ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        for key, tasks, with_deadline, on_time in session.execute(tasks_query.where(done).group_by(key_column)):
            row = _rows(found, key)
            row.tasks_done, row.tasks_with_deadline, row.tasks_on_time = tasks, with_deadline, on_time

    # Escalations raised in the period, by the level they reached.
    raised = within(Escalation.raised_at)
    escalation_groupings: tuple[tuple[dict[str, MonitoringRow], Any], ...] = (
        (by_agency, Escalation.agency_code), (by_protocol, protocol),
    )
    for found, key_column in escalation_groupings:
        escalations_query = (
            select(key_column, Escalation.level, func.count(Escalation.id))
            .select_from(Escalation).join(Case, Case.id == Escalation.case_id)
            .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
            .where(raised).group_by(key_column, Escalation.level)
        )
        for key, level, count in session.execute(escalations_query):
            row = _rows(found, key or "")
            row.escalations += count
            row.escalations_by_level[level] = row.escalations_by_level.get(level, 0) + count

    totals = MonitoringRow("")
    for row in by_protocol.values():
        for attribute in ("cases_opened", "cases_closed", "tasks_done", "tasks_with_deadline", "tasks_on_time", "escalations"):
            setattr(totals, attribute, getattr(totals, attribute) + getattr(row, attribute))
        for level, count in row.escalations_by_level.items():
            totals.escalations_by_level[level] = totals.escalations_by_level.get(level, 0) + count
    return MonitoringReport(
        start=start, end=end,
        by_agency=sorted(by_agency.values(), key=lambda r: r.key),
        by_protocol=sorted(by_protocol.values(), key=lambda r: r.key),
        totals=totals,
    )


def overdue_chart(counts: Iterable[Any]) -> tuple[dict[str, int], dict[str, int]]:
    """``overdue_counts`` rows summed per agency and per protocol (the dashboard's two charts)."""
    agencies: dict[str, int] = defaultdict(int)
    protocols: dict[str, int] = defaultdict(int)
    for row in counts:
        agencies[row.agency_code] += row.count
        protocols[row.protocol_key] += row.count
    return dict(agencies), dict(protocols)
