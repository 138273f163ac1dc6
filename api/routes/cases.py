"""Cases: start one, list and search the ones you may see, read one, read its audit trail.

Every read of a case's details or audit trail is audited in the request's own transaction, and
committed before the answer leaves: an unrecorded read never reaches the caller.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from api.deps import CaseReader, ClockDep, NetworkDep, SessionDep, VisibleCase, require_role
from api.pagination import Page, PageDep, paged
from api.problems import errors
from api.schemas import JsonObject, Text, WorkItemOut, path_id
from engine.audit import AuditEvent
from engine.cases import commands, reads, reopening
from engine.cases.models import Case, Escalation
from engine.cases.reads import CaseView
from engine.cases.restrictions import CaseRestriction
from engine.children.masking import ChildAsSeen
from engine.errors import InvalidInput, NotFound
from engine.forms.validation import validate_start_data
from engine.people.actors import Actor
from engine.people.roles import CASE_STARTING_ROLES, DATA_PROTECTION_ROLES, SUPERVISOR_ROLE
from engine.privacy.restriction import lift_restriction, restrict_case

router = APIRouter(tags=["cases"])
Starter = Annotated[Actor, Depends(require_role(CASE_STARTING_ROLES, "start cases"))]
DataProtector = Annotated[Actor, Depends(require_role(DATA_PROTECTION_ROLES, "restrict a case"))]
# Re-opening is a supervisor's decision (engine.cases.rights.may_reopen says for which cases).
Reopener = Annotated[Actor, Depends(require_role({SUPERVISOR_ROLE}, "re-open a closed case"))]
CaseId = Annotated[int, path_id("The case's id.")]
CaseStatusName = Literal["active", "completed", "cancelled", "error"]


class CaseStart(BaseModel):
    protocol: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="Protocol key; its newest published version runs.")
    data: JsonObject = Field(default_factory=dict, description="Start data: only 'reporting_unit'; the intake task's form asks for the rest.")
    reporting_unit: Text | None = Field(default=None, max_length=64, description="The school or agency reporting.")


class CaseSummary(BaseModel):
    id: int
    reference: str
    status: str
    protocol: str
    protocol_version: int
    reporting_unit: str | None
    unit_code: str | None = Field(default=None, description="The school the case concerns, once its intake names one (else the reporting unit stands for it).")
    unit_kept_out: bool = Field(default=False, description="The alleged abuser is staff of that school, so its staff cannot open the case.")
    child_id: int | None
    child_name: str | None = Field(description="The child's name; initials for roles not shown names (README, Who sees what).")
    child_name_masked: bool = Field(default=False, description="True when child_name holds initials.")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CaseRef(BaseModel):
    id: int
    reference: str
    status: str
    created_at: datetime


class LinkedCase(CaseRef):
    relation: Literal["referred_to", "referred_from", "reopened_as", "reopened_from"] = Field(
        description="referred_to/referred_from: a referral between protocols; reopened_as/reopened_from: a closed "
                    "case re-opened as a new one.")
    message: str
    legal_basis: Literal["legal_duty", "public_task", "vital_interest", "consent"] | None = Field(
        default=None, description="The PDPA basis the referral disclosed the child's data on (None: not recorded, "
                                  "or a re-opening).")


class GuardianOut(BaseModel):
    name: str | None
    relation: str
    alleged_abuser: bool


class ChildOut(BaseModel):
    id: int
    masked: bool = Field(description="Names as initials and no identifiers, birth date or school: the reader's role is "
                                     "not shown them.")
    anonymised_at: datetime | None = Field(description="When retention removed the names and identifiers.")
    first_name: str | None
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


class RestrictionOut(BaseModel):
    case_id: int
    restricted_at: datetime
    reason: str
    request_reference: str | None
    lifted_at: datetime | None


class LiftedOut(RestrictionOut):
    released: list[str] = Field(description="The referrals and replies held while restricted, sent on now, in order.")


class RestrictIn(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000, description="Why, for the record (PDPA s.34).")
    request: str | None = Field(default=None, pattern=r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{6}$",
                                description="The data-subject request (a case reference) this answers.")


class ReopenIn(BaseModel):
    reason: Text = Field(min_length=1, max_length=2000, description="Why the closed case is re-opened, for the record.")


class LiftIn(BaseModel):
    note: Text = Field(min_length=1, max_length=2000, description="Why the restriction ends.")


class CaseDetail(CaseSummary):
    restriction: RestrictionOut | None = Field(description="The restriction in force: nothing of the case is shared "
                                                           "while it lasts (its referrals are held).")
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


def _summary(view: CaseView, role: str) -> CaseSummary:
    case = view.case
    return CaseSummary(
        id=case.id, reference=case.reference, status=case.status, protocol=view.protocol_key,
        protocol_version=view.protocol_version, reporting_unit=case.reporting_unit, unit_code=case.unit_code,
        unit_kept_out=case.unit_kept_out, child_id=case.child_id,
        child_name=view.child_name, child_name_masked=view.child_name_masked, created_at=case.created_at, updated_at=case.updated_at, closed_at=case.closed_at,
    )


def _ref(case: Case) -> CaseRef:
    return CaseRef(id=case.id, reference=case.reference, status=case.status, created_at=case.created_at)


def _child(child: ChildAsSeen) -> ChildOut:
    return ChildOut(
        id=child.id, masked=child.masked, anonymised_at=child.anonymised_at, first_name=child.first_name,
        last_name=child.last_name, birth_date=child.birth_date, national_id=child.national_id, g_code=child.g_code,
        nationality=child.nationality, language=child.language, school=child.school,
        guardians=[GuardianOut(name=g.name, relation=g.relation, alleged_abuser=g.alleged_abuser) for g in child.guardians],
    )


def _restriction(row: CaseRestriction) -> RestrictionOut:
    return RestrictionOut(case_id=row.case_id, restricted_at=row.restricted_at, reason=row.reason,
                          request_reference=row.request_reference, lifted_at=row.lifted_at)


def _escalation(e: Escalation) -> CaseEscalation:
    return CaseEscalation(id=e.id, work_item_id=e.work_item_id, agency_code=e.agency_code, reason=e.reason, code=e.code,
                          level=e.level, status=e.status, target_code=e.target_code, raised_at=e.raised_at)


def _audit_event(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        id=event.id, occurred_at=event.occurred_at, action=event.action, actor_id=event.actor_id,
        actor_username=event.actor_username, actor_role=event.actor_role, actor_agency=event.actor_agency,
        client_address=event.client_address, work_item_id=event.work_item_id, details=event.details or {},
    )


@router.post("/cases", status_code=status.HTTP_201_CREATED, summary="Start a case on a protocol's newest published version",
             responses=errors(422))
def start_case(body: CaseStart, session: SessionDep, clock: ClockDep, network: NetworkDep, actor: Starter) -> CaseSummary:
    validate_start_data(body.data)
    try:
        case = commands.start_case(
            session=session, protocol_key=body.protocol, data=body.data, actor=actor, clock=clock, network=network,
            reporting_unit=body.reporting_unit,
        )
    except NotFound as exc:
        # The protocol named in the body: a field at fault, not a missing resource of the URL.
        raise InvalidInput(exc.message, field="protocol") from exc
    return _summary(reads.case_view(session=session, case=case), actor.role)


@router.get("/cases", summary="Cases you may see; q searches the reference, the child's name or ID")
def list_cases(
    session: SessionDep, clock: ClockDep, actor: CaseReader, page: PageDep,
    q: Annotated[Text | None, Query(max_length=100, description="Reference, child's name, Thai ID or G-code.")] = None,
    status: Annotated[CaseStatusName | None, Query(description="Only cases in this status.")] = None,
    protocol: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,63}$")] = None,
) -> Page[CaseSummary]:
    found = reads.search_cases(session=session, actor=actor, now=clock.now(), q=q, status=status, protocol=protocol,
                               limit=page.limit, offset=page.offset)
    return paged(found, page, lambda view: _summary(view, actor.role))


@router.get("/cases/{case_id}", summary="A case with its work items, escalations and linked cases", responses=errors(404))
def get_case(case: VisibleCase, session: SessionDep, clock: ClockDep, actor: CaseReader) -> CaseDetail:
    now = clock.now()
    detail = reads.read_case(session=session, case=case, actor=actor, now=now)
    return CaseDetail(
        **_summary(detail, actor.role).model_dump(),
        protocol_name=detail.protocol_name, error_message=case.error_message, started_by_id=case.started_by_id,
        restriction=_restriction(detail.restriction) if detail.restriction is not None else None,
        child=_child(detail.child_as_seen) if detail.child_as_seen is not None else None,
        work_items=[WorkItemOut.of(item, now=now) for item in detail.work_items],
        escalations=[_escalation(e) for e in detail.escalations],
        linked_cases=[
            LinkedCase(**_ref(link.case).model_dump(), relation=link.relation, message=link.message,
                       legal_basis=link.legal_basis)
            for link in detail.linked_cases
        ],
        child_other_cases=[_ref(other) for other in detail.child_other_cases],
    )


@router.get("/cases/{case_id}/audit", summary="The case's audit trail, oldest first", responses=errors(404))
def case_audit(case: VisibleCase, session: SessionDep, clock: ClockDep, actor: CaseReader, page: PageDep) -> Page[AuditEventOut]:
    found = reads.read_case_audit(session=session, case=case, actor=actor, now=clock.now(), limit=page.limit, offset=page.offset)
    return paged(found, page, _audit_event)


@router.post("/cases/{case_id}/restriction", status_code=status.HTTP_201_CREATED, responses=errors(404, 409),
             summary="Restrict a case (PDPA s.34): nothing of it is shared until the restriction is lifted")
def restrict(case_id: CaseId, body: RestrictIn, session: SessionDep, clock: ClockDep, actor: DataProtector) -> RestrictionOut:
    row = restrict_case(session=session, actor=actor, case_id=case_id, reason=body.reason, now=clock.now(),
                        request_reference=body.request)
    return _restriction(row)


@router.post("/cases/{case_id}/restriction/lift", responses=errors(404, 409),
             summary="Lift a case's restriction and send on the referrals it held")
def lift(case_id: CaseId, body: LiftIn, session: SessionDep, clock: ClockDep, network: NetworkDep,
         actor: DataProtector) -> LiftedOut:
    lifted = lift_restriction(session=session, actor=actor, case_id=case_id, note=body.note, clock=clock, network=network)
    return LiftedOut(**_restriction(lifted.restriction).model_dump(), released=lifted.released)


@router.post("/cases/{case_id}/reopen", status_code=status.HTTP_201_CREATED, responses=errors(404, 409),
             summary="Re-open a closed case as a new case linked to it (a supervisor of an agency that worked it)")
def reopen(case_id: CaseId, body: ReopenIn, session: SessionDep, clock: ClockDep, network: NetworkDep,
           actor: Reopener) -> CaseSummary:
    """The closed case stays as it was closed; the new case runs the protocol's newest published
    version from its start, for the same child, and both list the other under linked_cases.
    409 when the case is not closed, was anonymised under the retention schedule, or was
    re-opened already."""
    reopened = reopening.reopen_case(session=session, case_id=case_id, reason=body.reason, actor=actor, clock=clock,
                                     network=network)
    return _summary(reads.case_view(session=session, case=reopened), actor.role)
