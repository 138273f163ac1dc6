"""Overdue work and escalation lists, answered from SQL (never by loading a workflow)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.cases.access import escalation_visibility, unit_visibility
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, Escalation, WorkItem
from engine.db import Page, page_of
from engine.people.actors import Actor
from engine.protocols.models import ProtocolVersion

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class OverdueItem:
    work_item_id: int
    case_id: int
    case_reference: str
    protocol_key: str
    task_name: str
    label: str
    agency_code: str
    assignee_id: int | None
    due_at: datetime
    overdue_seconds: int
    escalation_level: int


@dataclass(frozen=True)
class OverdueCount:
    agency_code: str
    protocol_key: str
    count: int
    oldest_due_at: datetime


def _overdue(now: datetime, *columns) -> Select:
    return (
        select(*columns)
        .join(Case, Case.id == WorkItem.case_id)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .where(WorkItem.state.in_(LIVE_WORK_ITEM_STATES), WorkItem.due_at < now)
    )


def overdue_work_items(
    *,
    session: Session,
    now: datetime,
    agency: str | None = None,
    protocol: str | None = None,
    assignee_id: int | None = None,
    min_level: int | None = None,
    visible_to: Actor | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[OverdueItem]:
    """Open work past its due time, most overdue first; with ``visible_to``, only in the cases
    that person's unit (a school) may see."""
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        raise ValueError(f"limit must be 1–{MAX_PAGE_SIZE} and offset ≥ 0")
    query = _overdue(
        now, WorkItem.id, WorkItem.case_id, Case.reference, ProtocolVersion.key, WorkItem.task_name,
        WorkItem.label, WorkItem.agency_code, WorkItem.assignee_id, WorkItem.due_at, WorkItem.escalation_level,
    )
    if agency is not None:
        query = query.where(WorkItem.agency_code == agency)
    if protocol is not None:
        query = query.where(ProtocolVersion.key == protocol)
    if assignee_id is not None:
        query = query.where(WorkItem.assignee_id == assignee_id)
    if min_level is not None:
        query = query.where(WorkItem.escalation_level >= min_level)
    if visible_to is not None:
        query = query.where(unit_visibility(visible_to, WorkItem.case_id))
    rows = session.execute(query.order_by(WorkItem.due_at, WorkItem.id).limit(limit).offset(offset))
    return [
        OverdueItem(
            work_item_id=r[0], case_id=r[1], case_reference=r[2], protocol_key=r[3], task_name=r[4], label=r[5],
            agency_code=r[6], assignee_id=r[7], due_at=r[8], overdue_seconds=int((now - r[8]).total_seconds()),
            escalation_level=r[9],
        )
        for r in rows
    ]


def overdue_counts(*, session: Session, now: datetime, visible_to: Actor | None = None) -> list[OverdueCount]:
    """How much work is overdue per agency and protocol, the largest piles first; with
    ``visible_to``, only in the cases that person's unit (a school) may see."""
    count = func.count(WorkItem.id)
    query = _overdue(now, WorkItem.agency_code, ProtocolVersion.key, count, func.min(WorkItem.due_at))
    if visible_to is not None:
        query = query.where(unit_visibility(visible_to, WorkItem.case_id))
    query = (
        query.group_by(WorkItem.agency_code, ProtocolVersion.key)
        .order_by(count.desc(), WorkItem.agency_code, ProtocolVersion.key)
    )
    return [OverdueCount(agency, key, n, oldest) for agency, key, n, oldest in session.execute(query)]


@dataclass(frozen=True)
class EscalationView:
    """An escalation with the case reference and the label of the late task, if any."""

    escalation: Escalation
    case_reference: str
    task_label: str | None


def escalation_view(*, session: Session, escalation: Escalation) -> EscalationView:
    reference = session.scalar(select(Case.reference).where(Case.id == escalation.case_id)) or ""
    label = (
        session.scalar(select(WorkItem.label).where(WorkItem.id == escalation.work_item_id))
        if escalation.work_item_id else None
    )
    return EscalationView(escalation, reference, label)


def list_escalations(
    *, session: Session, actor: Actor, status: str, case_id: int | None = None, limit: int, offset: int
) -> Page[EscalationView]:
    """The escalations the actor may handle, highest level first, then the oldest."""
    query = (
        select(Escalation, Case.reference, WorkItem.label)
        .join(Case, Case.id == Escalation.case_id)
        .outerjoin(WorkItem, WorkItem.id == Escalation.work_item_id)
        .where(escalation_visibility(actor), Escalation.status == status)
        .order_by(Escalation.level.desc(), Escalation.raised_at, Escalation.id)
    )
    if case_id is not None:
        query = query.where(Escalation.case_id == case_id)
    found = page_of(session, query, limit=limit, offset=offset)
    return Page([EscalationView(*row) for row in found.rows], found.total)
