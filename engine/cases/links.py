"""Cases linked by referral, read from SQL."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases.models import Case, CaseLink


@dataclass(frozen=True)
class LinkedCase:
    case: Case
    relation: str  # "referred_to" (this case started it) or "referred_from"
    message: str


def case_links(*, session: Session, case_id: int) -> list[LinkedCase]:
    """Cases this case referred to, and the case that referred it, oldest first."""
    links = session.scalars(
        select(CaseLink).where(or_(CaseLink.from_case_id == case_id, CaseLink.to_case_id == case_id))
    ).all()
    how = {
        (link.to_case_id if link.from_case_id == case_id else link.from_case_id):
        ("referred_to" if link.from_case_id == case_id else "referred_from", link.message)
        for link in links
    }
    if not how:
        return []
    cases = session.scalars(select(Case).where(Case.id.in_(how)).order_by(Case.created_at, Case.id))
    return [LinkedCase(case, *how[case.id]) for case in cases]


def linked_cases(*, session: Session, case_id: int) -> list[Case]:
    return [link.case for link in case_links(session=session, case_id=case_id)]
