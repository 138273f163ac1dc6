"""Reports: aggregate counts that name no child."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import ClockDep, SessionDep, require_role
from engine.deadlines.queries import overdue_counts
from engine.people.actors import Actor
from engine.people.roles import REPORT_ROLES

router = APIRouter(tags=["reports"])
ReportReader = Annotated[Actor, Depends(require_role(REPORT_ROLES, "read reports"))]


class OverdueRow(BaseModel):
    agency_code: str
    protocol: str
    count: int
    oldest_due_at: datetime


class OverdueReport(BaseModel):
    as_of: datetime
    total: int
    rows: list[OverdueRow]


@router.get("/reports/overdue", summary="Overdue work counted by agency and protocol, largest first")
def overdue(session: SessionDep, clock: ClockDep, _actor: ReportReader) -> OverdueReport:
    now = clock.now()
    rows = [OverdueRow(agency_code=r.agency_code, protocol=r.protocol_key, count=r.count, oldest_due_at=r.oldest_due_at)
            for r in overdue_counts(session=session, now=now)]
    return OverdueReport(as_of=now, total=sum(r.count for r in rows), rows=rows)
