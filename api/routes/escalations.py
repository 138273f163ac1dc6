"""Escalations: late or flagged work that someone must acknowledge, and later resolve."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import ClockDep, SessionDep, require_role
from api.pagination import Page, PageDep, paginate
from api.problems import errors
from api.schemas import EntityId, Text, path_id
from engine.cases.access import escalation_visibility, may_see_case, record_denied
from engine.cases.models import Case, Escalation, WorkItem
from engine.cases.rights import may_handle_escalation
from engine.deadlines import service as escalations
from engine.errors import NotFound
from engine.people.actors import Actor
from engine.people.roles import ESCALATION_ROLES

router = APIRouter(tags=["escalations"])
Handler = Annotated[Actor, Depends(require_role(ESCALATION_ROLES, "handle escalations"))]
EscalationId = Annotated[int, path_id("The escalation's id.")]


class EscalationOut(BaseModel):
    id: int
    case_id: int
    case_reference: str
    work_item_id: int | None
    task_label: str | None
    agency_code: str | None
    reason: str
    code: str | None
    level: int
    target_code: str
    target_agency_code: str | None
    target_role: str
    status: str
    raised_at: datetime
    level_changed_at: datetime
    climb_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    acknowledgement_note: str | None
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution_note: str | None


class NoteIn(BaseModel):
    note: Text = Field(min_length=1, max_length=4000, description="What was seen or done.")


def _out(e: Escalation, reference: str, label: str | None) -> EscalationOut:
    return EscalationOut(
        id=e.id, case_id=e.case_id, case_reference=reference, work_item_id=e.work_item_id, task_label=label,
        agency_code=e.agency_code, reason=e.reason, code=e.code, level=e.level, target_code=e.target_code,
        target_agency_code=e.target_agency_code, target_role=e.target_role, status=e.status, raised_at=e.raised_at,
        level_changed_at=e.level_changed_at, climb_at=e.climb_at, acknowledged_at=e.acknowledged_at,
        acknowledged_by_id=e.acknowledged_by_id, acknowledgement_note=e.acknowledgement_note,
        resolved_at=e.resolved_at, resolved_by_id=e.resolved_by_id, resolution_note=e.resolution_note,
    )


def _labelled(session: SessionDep, e: Escalation) -> EscalationOut:
    reference = session.scalar(select(Case.reference).where(Case.id == e.case_id))
    label = session.scalar(select(WorkItem.label).where(WorkItem.id == e.work_item_id)) if e.work_item_id else None
    return _out(e, reference, label)


@router.get("/escalations", summary="Escalations you may handle, highest level first")
def list_escalations(
    session: SessionDep, actor: Handler, page: PageDep,
    status: Annotated[Literal["open", "acknowledged", "resolved"], Query(description="Default: open.")] = "open",
    case_id: Annotated[EntityId | None, Query(description="Only this case's escalations.")] = None,
) -> Page[EscalationOut]:
    query = (
        select(Escalation, Case.reference, WorkItem.label)
        .join(Case, Case.id == Escalation.case_id)
        .outerjoin(WorkItem, WorkItem.id == Escalation.work_item_id)
        .where(escalation_visibility(actor), Escalation.status == status)
        .order_by(Escalation.level.desc(), Escalation.raised_at, Escalation.id)
    )
    if case_id is not None:
        query = query.where(Escalation.case_id == case_id)
    return paginate(session, query, page, lambda row: _out(*row))


def _handled(session: SessionDep, actor: Actor, escalation_id: int, clock: ClockDep, attempted: str) -> Escalation:
    """Refuse early: 404 (audited) when the actor may neither handle it nor see its case."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None or not (
        may_handle_escalation(actor, escalation) or may_see_case(session, actor, escalation.case_id)
    ):
        record_denied(session, actor=actor, at=clock.now(), resource="escalation", resource_id=escalation_id,
                      case_id=escalation.case_id if escalation else None, attempted=attempted)
        raise NotFound(f"escalation {escalation_id} not found", field="escalation_id")
    return escalation


@router.post("/escalations/{escalation_id}/acknowledge", summary="Say you have seen it: it stops climbing",
             responses=errors(404, 409, 422))
def acknowledge(body: NoteIn, session: SessionDep, clock: ClockDep, actor: Handler, escalation_id: EscalationId) -> EscalationOut:
    _handled(session, actor, escalation_id, clock, "acknowledge escalation")
    escalation = escalations.acknowledge(session=session, escalation_id=escalation_id, note=body.note, actor=actor, clock=clock)
    return _labelled(session, escalation)


@router.post("/escalations/{escalation_id}/resolve", summary="The matter behind it is settled",
             responses=errors(404, 409, 422))
def resolve(body: NoteIn, session: SessionDep, clock: ClockDep, actor: Handler, escalation_id: EscalationId) -> EscalationOut:
    _handled(session, actor, escalation_id, clock, "resolve escalation")
    escalation = escalations.resolve(session=session, escalation_id=escalation_id, note=body.note, actor=actor, clock=clock)
    return _labelled(session, escalation)
