"""Escalations: late or flagged work that someone must acknowledge, and later resolve."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ClockDep, EscalationHandler, SessionDep, VisibleEscalation
from api.pagination import Page, PageDep, paged
from api.problems import errors
from api.schemas import EntityId, Text
from engine.deadlines import queries
from engine.deadlines import service as escalations
from engine.deadlines.queries import EscalationView

router = APIRouter(tags=["escalations"])


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


def _out(view: EscalationView) -> EscalationOut:
    e = view.escalation
    return EscalationOut(
        id=e.id, case_id=e.case_id, case_reference=view.case_reference, work_item_id=e.work_item_id,
        task_label=view.task_label, agency_code=e.agency_code, reason=e.reason, code=e.code, level=e.level,
        target_code=e.target_code, target_agency_code=e.target_agency_code, target_role=e.target_role, status=e.status,
        raised_at=e.raised_at, level_changed_at=e.level_changed_at, climb_at=e.climb_at, acknowledged_at=e.acknowledged_at,
        acknowledged_by_id=e.acknowledged_by_id, acknowledgement_note=e.acknowledgement_note,
        resolved_at=e.resolved_at, resolved_by_id=e.resolved_by_id, resolution_note=e.resolution_note,
    )


@router.get("/escalations", summary="Escalations you may handle, highest level first")
def list_escalations(
    session: SessionDep, actor: EscalationHandler, page: PageDep,
    status: Annotated[Literal["open", "acknowledged", "resolved"], Query(description="Default: open.")] = "open",
    case_id: Annotated[EntityId | None, Query(description="Only this case's escalations.")] = None,
) -> Page[EscalationOut]:
    found = queries.list_escalations(session=session, actor=actor, status=status, case_id=case_id, limit=page.limit, offset=page.offset)
    return paged(found, page, _out)


@router.post("/escalations/{escalation_id}/acknowledge", summary="Say you have seen it: it stops climbing",
             responses=errors(404, 409, 422))
def acknowledge(
    body: NoteIn, escalation: VisibleEscalation, session: SessionDep, clock: ClockDep, actor: EscalationHandler,
) -> EscalationOut:
    escalation = escalations.acknowledge(session=session, escalation_id=escalation.id, note=body.note, actor=actor, clock=clock)
    return _out(queries.escalation_view(session=session, escalation=escalation))


@router.post("/escalations/{escalation_id}/resolve", summary="The matter behind it is settled",
             responses=errors(404, 409, 422))
def resolve(
    body: NoteIn, escalation: VisibleEscalation, session: SessionDep, clock: ClockDep, actor: EscalationHandler,
) -> EscalationOut:
    escalation = escalations.resolve(session=session, escalation_id=escalation.id, note=body.note, actor=actor, clock=clock)
    return _out(queries.escalation_view(session=session, escalation=escalation))
