"""Finding a child's existing record while an intake form is filled in."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import ClockDep, SessionDep, require_role
from api.problems import errors
from api.schemas import EntityId, Text
from engine.cases.models import WorkItem
from engine.children.service import ChildIdentity, offer_matches
from engine.errors import NotFound
from engine.people.access import CASE_STARTING_ROLES, may_see_case, record_denied
from engine.people.actors import Actor

router = APIRouter(tags=["children"])
Reporter = Annotated[Actor, Depends(require_role(CASE_STARTING_ROLES, "look up child records"))]


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
        work_item = session.get(WorkItem, body.task_id)
        if work_item is None or not may_see_case(session, actor, work_item.case_id):
            record_denied(session, actor=actor, at=clock.now(), resource="task", resource_id=body.task_id,
                          case_id=work_item.case_id if work_item else None, attempted="look up child records")
            raise NotFound(f"task {body.task_id} not found", field="task_id")
    identity = ChildIdentity(
        first_name=body.child_first_name.strip(), last_name=body.child_last_name, birth_date=body.child_birth_date,
        national_id=body.child_national_id, g_code=body.child_g_code,
    )
    offers = offer_matches(session, identity, actor=actor, now=clock.now(), work_item=work_item)
    session.commit()
    return ChildMatches(matches=[ChildMatch(**offer.__dict__) for offer in offers])
