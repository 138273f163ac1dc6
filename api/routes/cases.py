"""Cases: start one, list and search the ones you may see, read one, read its audit trail.

Every read of a case's details or audit trail is audited in the request's own transaction, and
committed before the answer leaves: an unrecorded read never reaches the caller.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import ClockDep, NetworkDep, SessionDep, require_role
from api.pagination import Page, PageDep, paginate
from api.problems import errors
from api.schemas import JsonObject, Text, WorkItemOut, path_id
from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.access import may_see_case, record_denied, record_read
from engine.cases.links import case_links
from engine.cases.models import Case, Escalation, WorkItem
from engine.cases.queries import case_search_query, other_cases
from engine.children.models import Child, Guardian
from engine.errors import InvalidInput, NotFound
from engine.people.actors import Actor
from engine.people.roles import CASE_READING_ROLES, CASE_STARTING_ROLES
from engine.protocols.models import ProtocolVersion

router = APIRouter(tags=["cases"])
Reader = Annotated[Actor, Depends(require_role(CASE_READING_ROLES, "read case data"))]
Starter = Annotated[Actor, Depends(require_role(CASE_STARTING_ROLES, "start cases"))]
CaseStatusName = Literal["active", "completed", "cancelled", "error"]


class CaseStart(BaseModel):
    protocol: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="Protocol key; its newest published version runs.")
    data: JsonObject = Field(default_factory=dict, description="Intake data: the case's first variables.")
    reporting_unit: Text | None = Field(default=None, max_length=64, description="The school or agency reporting.")


class CaseSummary(BaseModel):
    id: int
    reference: str
    status: str
    protocol: str
    protocol_version: int
    reporting_unit: str | None
    child_id: int | None
    child_name: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CaseRef(BaseModel):
    id: int
    reference: str
    status: str
    created_at: datetime


class LinkedCase(CaseRef):
    relation: Literal["referred_to", "referred_from"]
    message: str


class GuardianOut(BaseModel):
    name: str
    relation: str
    alleged_abuser: bool


class ChildOut(BaseModel):
    id: int
    first_name: str
    last_name: str | None
    birth_date: date | None
    national_id: str | None
    g_code: str | None
    nationality: str | None
    language: str | None
    school: str | None
    guardians: list[GuardianOut]


class CaseEscalation(BaseModel):
    id: int
    work_item_id: int | None
    agency_code: str | None
    reason: str
    code: str | None
    level: int
    status: str
    target_code: str
    raised_at: datetime


class CaseDetail(CaseSummary):
    protocol_name: str
    error_message: str | None
    started_by_id: int | None
    child: ChildOut | None
    work_items: list[WorkItemOut]
    escalations: list[CaseEscalation]
    linked_cases: list[LinkedCase]
    child_other_cases: list[CaseRef] = Field(description="The child's other cases that the caller may see.")


class AuditEventOut(BaseModel):
    id: int
    occurred_at: datetime
    action: str
    actor_id: int | None
    actor_username: str
    actor_role: str
    actor_agency: str | None
    client_address: str | None
    work_item_id: int | None
    details: dict[str, Any]


def _summary(case: Case, key: str, version: int, first: str | None, last: str | None) -> CaseSummary:
    name = f"{first} {last or ''}".strip() if first else None
    return CaseSummary(
        id=case.id, reference=case.reference, status=case.status, protocol=key, protocol_version=version,
        reporting_unit=case.reporting_unit, child_id=case.child_id, child_name=name, created_at=case.created_at,
        updated_at=case.updated_at, closed_at=case.closed_at,
    )


def visible_case(session: SessionDep, actor: Actor, case_id: int, *, clock: ClockDep, attempted: str) -> Case:
    """The case, if the actor may see it; otherwise the refusal is audited and answered as 404."""
    case = session.get(Case, case_id)
    if case is None or not may_see_case(session, actor, case.id):
        record_denied(session, actor=actor, at=clock.now(), resource="case", resource_id=case_id,
                      case_id=case.id if case else None, attempted=attempted)
        raise NotFound(f"case {case_id} not found", field="case_id")
    return case


@router.post("/cases", status_code=status.HTTP_201_CREATED, summary="Start a case on a protocol's newest published version",
             responses=errors(422))
def start_case(body: CaseStart, session: SessionDep, clock: ClockDep, network: NetworkDep, actor: Starter) -> CaseSummary:
    try:
        case = commands.start_case(
            session=session, protocol_key=body.protocol, data=body.data, actor=actor, clock=clock, network=network,
            reporting_unit=body.reporting_unit,
        )
    except NotFound as exc:
        # The protocol named in the body: a field at fault, not a missing resource of the URL.
        raise InvalidInput(exc.message, field="protocol") from exc
    version = session.get(ProtocolVersion, case.protocol_version_id)
    return _summary(case, version.key, version.version, None, None)


@router.get("/cases", summary="Cases you may see; q searches the reference, the child's name or ID")
def list_cases(
    session: SessionDep, clock: ClockDep, actor: Reader, page: PageDep,
    q: Annotated[Text | None, Query(max_length=100, description="Reference, child's name, Thai ID or G-code.")] = None,
    status: Annotated[CaseStatusName | None, Query(description="Only cases in this status.")] = None,
    protocol: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,63}$")] = None,
) -> Page[CaseSummary]:
    result = paginate(session, case_search_query(actor, q=q, status=status, protocol=protocol), page,
                      lambda row: _summary(*row))
    if q:
        # Looking a child up by name or ID is itself a use of personal data: keep it on record.
        record_read(session, action="cases.searched", actor=actor, at=clock.now(), query=q, results=result.total)
        session.commit()
    return result


@router.get("/cases/{case_id}", summary="A case with its work items, escalations and linked cases", responses=errors(404))
def get_case(session: SessionDep, clock: ClockDep, actor: Reader, case_id: int = path_id("The case's id.")) -> CaseDetail:
    case = visible_case(session, actor, case_id, clock=clock, attempted="view case")
    now = clock.now()
    version = session.get(ProtocolVersion, case.protocol_version_id)
    child_out, child_name, others = None, None, []
    if case.child_id is not None:
        child = session.get(Child, case.child_id)
        guardians = session.scalars(select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.id))
        child_out = ChildOut(
            id=child.id, first_name=child.first_name, last_name=child.last_name, birth_date=child.birth_date,
            national_id=child.national_id, g_code=child.g_code, nationality=child.nationality,
            language=child.language, school=child.school,
            guardians=[GuardianOut(name=g.name, relation=g.relation, alleged_abuser=g.alleged_abuser) for g in guardians],
        )
        child_name = f"{child.first_name} {child.last_name or ''}".strip()
        others = [
            CaseRef(id=c.id, reference=c.reference, status=c.status, created_at=c.created_at)
            for c in other_cases(session, child_id=child.id, except_case_id=case.id)
            if may_see_case(session, actor, c.id)
        ]
    linked = [
        LinkedCase(id=link.case.id, reference=link.case.reference, status=link.case.status,
                   created_at=link.case.created_at, relation=link.relation, message=link.message)
        for link in case_links(session, case.id) if may_see_case(session, actor, link.case.id)
    ]
    items = session.scalars(select(WorkItem).where(WorkItem.case_id == case.id).order_by(WorkItem.id))
    escalations = session.scalars(select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id))
    detail = CaseDetail(
        **_summary(case, version.key, version.version, None, None).model_dump(exclude={"child_name"}),
        child_name=child_name, protocol_name=version.name, error_message=case.error_message,
        started_by_id=case.started_by_id, child=child_out,
        work_items=[WorkItemOut.of(item, now=now) for item in items],
        escalations=[
            CaseEscalation(id=e.id, work_item_id=e.work_item_id, agency_code=e.agency_code, reason=e.reason, code=e.code,
                           level=e.level, status=e.status, target_code=e.target_code, raised_at=e.raised_at)
            for e in escalations
        ],
        linked_cases=linked, child_other_cases=others,
    )
    record_read(session, action="case.viewed", actor=actor, at=now, case_id=case.id)
    session.commit()
    return detail


@router.get("/cases/{case_id}/audit", summary="The case's audit trail, oldest first", responses=errors(404))
def case_audit(
    session: SessionDep, clock: ClockDep, actor: Reader, page: PageDep, case_id: int = path_id("The case's id."),
) -> Page[AuditEventOut]:
    case = visible_case(session, actor, case_id, clock=clock, attempted="view audit trail")
    record_read(session, action="case.audit_viewed", actor=actor, at=clock.now(), case_id=case.id)
    session.flush()
    query = select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    result = paginate(session, query, page, lambda row: AuditEventOut(
        id=row[0].id, occurred_at=row[0].occurred_at, action=row[0].action, actor_id=row[0].actor_id,
        actor_username=row[0].actor_username, actor_role=row[0].actor_role, actor_agency=row[0].actor_agency,
        client_address=row[0].client_address, work_item_id=row[0].work_item_id, details=row[0].details or {},
    ))
    session.commit()
    return result
