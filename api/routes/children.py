"""Children's records: finding one while an intake form is filled in, and answering the child
for it (PDPA ss.30-36: the subject-access export as JSON or a printable Thai document)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from api.deps import ClockDep, NetworkDep, SessionDep, require_role
from api.pages.documents import DOCUMENT_CSP, render_subject_access
from api.problems import errors
from api.schemas import EntityId, Text, path_id
from engine.cases.access import visible_item
from engine.children.service import ChildIdentity, offer_matches
from engine.people.actors import Actor
from engine.people.roles import CASE_STARTING_ROLES, DATA_PROTECTION_ROLES
from engine.privacy.export import export_child
from engine.privacy.rectification import rectify_child

router = APIRouter(tags=["children"])
Reporter = Annotated[Actor, Depends(require_role(CASE_STARTING_ROLES, "look up child records"))]
DataProtector = Annotated[Actor, Depends(require_role(DATA_PROTECTION_ROLES, "answer a child for their data"))]
ChildId = Annotated[int, path_id("The child record's id (a case's detail names it).")]
RequestReference = Annotated[
    str | None,
    Query(pattern=r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{6}$", description="The data-subject request (a case reference) this answers."),
]


class ChildLookup(BaseModel):
    child_first_name: Text = Field(min_length=1, max_length=255)
    child_last_name: Text | None = Field(default=None, max_length=255)
    child_birth_date: date | None = None
    child_national_id: str | None = Field(default=None, pattern=r"^\d{13}$")
    child_g_code: str | None = Field(default=None, pattern=r"^G\d{12}$")
    task_id: EntityId | None = Field(
        default=None, description="The intake task this lookup is for: only a record offered for it may be confirmed there.",
    )


class ChildMatch(BaseModel):
    child_id: int
    first_name: str
    last_name: str | None
    birth_year: int | None = Field(description="The year of birth only: enough to recognise the child.")
    exact: bool = Field(description="True when an identifier matched: the intake will link to this record.")


class ChildMatches(BaseModel):
    matches: list[ChildMatch]


@router.post(
    "/children/matches",
    summary="Records of the same child: an identifier match, or close name and birth date to confirm",
    responses=errors(404, 422),
)
def child_matches(body: ChildLookup, session: SessionDep, clock: ClockDep, actor: Reporter) -> ChildMatches:
    work_item = None
    if body.task_id is not None:
        work_item = visible_item(session=session, actor=actor, work_item_id=body.task_id, now=clock.now(),
                                 attempted="look up child records")
    identity = ChildIdentity(
        first_name=body.child_first_name.strip(), last_name=body.child_last_name, birth_date=body.child_birth_date,
        national_id=body.child_national_id, g_code=body.child_g_code,
    )
    offers = offer_matches(session, identity, actor=actor, now=clock.now(), work_item=work_item)
    # Looking people up is reading children's data: each offer is on the record (offer_matches
    # audits it), committed before it is answered.
    session.commit()
    return ChildMatches(matches=[ChildMatch(**offer.__dict__) for offer in offers])


@router.get(
    "/children/{child_id}/subject-access",
    summary="Everything held about a child that you may release (PDPA s.30): JSON, or a printable Thai document",
    responses={
        200: {"description": "The export", "content": {"application/json": {"schema": {"type": "object"}},
                                                        "text/html": {"schema": {"type": "string"}}}},
        **errors(404),
    },
    response_class=JSONResponse,
    response_model=None,
)
def subject_access(
    child_id: ChildId, session: SessionDep, clock: ClockDep, network: NetworkDep, actor: DataProtector,
    format: Annotated[Literal["json", "html"], Query(description="json, or html: a Thai document to print.")] = "json",
    request: RequestReference = None,
) -> JSONResponse | HTMLResponse:
    """The record, the cases the caller may release with their tasks, form data, comments,
    escalations and referrals (with their legal basis), the changes to the record and the access
    log. Each released case records the export (``case.exported``) before it is answered."""
    export = export_child(session=session, actor=actor, child_id=child_id, now=clock.now(), request_reference=request,
                          format_name=format)
    if format == "html":
        return HTMLResponse(render_subject_access(export, network), headers={"content-security-policy": DOCUMENT_CSP})
    return JSONResponse(export.as_dict())


class RecordFields(BaseModel):
    """The record's fields to correct; a field left out stays as it is, null clears it."""

    model_config = {"extra": "forbid"}

    first_name: Text | None = Field(default=None, min_length=1, max_length=255)
    last_name: Text | None = Field(default=None, max_length=255)
    birth_date: date | None = None
    national_id: str | None = Field(default=None, pattern=r"^\d{13}$")
    g_code: str | None = Field(default=None, pattern=r"^G\d{12}$")
    nationality: Text | None = Field(default=None, max_length=64)
    language: Text | None = Field(default=None, max_length=64)
    school: Text | None = Field(default=None, max_length=255)


class GuardianFields(BaseModel):
    model_config = {"extra": "forbid"}

    name: Text | None = Field(default=None, min_length=1, max_length=255)
    relation: Text | None = Field(default=None, min_length=1, max_length=32)


class RectificationIn(BaseModel):
    fields: RecordFields = Field(default_factory=RecordFields)
    guardians: dict[EntityId, GuardianFields] = Field(default_factory=dict, description="By guardian id.")
    reason: Text = Field(min_length=1, max_length=255, description="What was wrong (PDPA s.35), for the record.")
    request: str | None = Field(default=None, pattern=r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{6}$",
                                description="The data-subject request (a case reference) this answers.")


class FieldChange(BaseModel):
    old: Any
    new: Any


class RectificationOut(BaseModel):
    child_id: int
    changes: dict[str, FieldChange] = Field(description="Each corrected field, what it said and what it says now; the "
                                                        "old values stay in the audit trail (child.rectified).")


@router.post("/children/{child_id}/rectifications", responses=errors(404, 409),
             summary="Correct a child's record (PDPA ss.35-36); the old values stay in the audit trail")
def rectify(child_id: ChildId, body: RectificationIn, session: SessionDep, clock: ClockDep,
            actor: DataProtector) -> RectificationOut:
    rectified = rectify_child(
        session=session, actor=actor, child_id=child_id,
        fields={name: (value.isoformat() if isinstance(value, date) else value)
                for name, value in body.fields.model_dump(exclude_unset=True).items()},
        guardians={gid: g.model_dump(exclude_unset=True) for gid, g in body.guardians.items()},
        reason=body.reason, now=clock.now(), request_reference=body.request,
    )
    return RectificationOut(child_id=rectified.child.id, changes={
        key: FieldChange(old=_plain(old), new=_plain(new)) for key, (old, new) in rectified.changes.items()
    })


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
