"""Finding a child's existing record while an intake form is filled in."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import ClockDep, SessionDep, require_role
from engine.cases.access import commit_read
from engine.children.service import ChildIdentity, offer_matches
from engine.people.actors import Actor
from engine.people.roles import CASE_STARTING_ROLES

router = APIRouter(tags=["children"])
Reporter = Annotated[Actor, Depends(require_role(CASE_STARTING_ROLES, "look up child records"))]


class ChildLookup(BaseModel):
    child_first_name: str = Field(min_length=1, max_length=255)
    child_last_name: str | None = Field(default=None, max_length=255)
    child_birth_date: date | None = None
    child_national_id: str | None = Field(default=None, pattern=r"^\d{13}$")
    child_g_code: str | None = Field(default=None, pattern=r"^G\d{12}$")


class ChildMatch(BaseModel):
    child_id: int
    first_name: str
    last_name: str | None
    birth_date: date | None
    school: str | None
    exact: bool = Field(description="True when an identifier matched: the intake will link to this record.")


class ChildMatches(BaseModel):
    matches: list[ChildMatch]


@router.post(
    "/children/matches",
    summary="Records of the same child: an identifier match, or close name and birth date to confirm",
)
def child_matches(body: ChildLookup, session: SessionDep, clock: ClockDep, actor: Reporter) -> ChildMatches:
    identity = ChildIdentity(
        first_name=body.child_first_name.strip(), last_name=body.child_last_name, birth_date=body.child_birth_date,
        national_id=body.child_national_id, g_code=body.child_g_code,
    )
    offers = offer_matches(session, identity)
    # Looking people up is reading children's data: it is on the record, like any case read.
    commit_read(session=session, action="child.matches_viewed", actor=actor, at=clock.now(), offered=[o.child_id for o in offers])
    return ChildMatches(matches=[ChildMatch(**offer.__dict__) for offer in offers])
