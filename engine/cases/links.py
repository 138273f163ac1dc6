"""Cases linked by referral or by re-opening, read from SQL."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases.models import REOPENED_LINK, Case, CaseLink


@dataclass(frozen=True)
class LinkedCase:
    case: Case
    # "referred_to" (this case started it) or "referred_from"; "reopened_as" (this closed case
    # was re-opened as it) or "reopened_from".
    relation: str
    message: str
    legal_basis: str | None = None


def link_relation(link: CaseLink, case_id: int) -> str:
    """How the other case of a link stands to ``case_id``."""
    outgoing = link.from_case_id == case_id
    if link.message == REOPENED_LINK:
        return "reopened_as" if outgoing else "reopened_from"
    return "referred_to" if outgoing else "referred_from"


def case_links(*, session: Session, case_id: int) -> list[LinkedCase]:
    """Cases this case referred to, the case that referred it, and the cases it was re-opened
    from or as, oldest first."""
    links = session.scalars(
        select(CaseLink).where(or_(CaseLink.from_case_id == case_id, CaseLink.to_case_id == case_id))
    ).all()
    how = {
        (link.to_case_id if link.from_case_id == case_id else link.from_case_id):
        (link_relation(link, case_id), link.message, link.legal_basis)
        for link in links
    }
    if not how:
        return []
    cases = session.scalars(select(Case).where(Case.id.in_(how)).order_by(Case.created_at, Case.id))
    return [LinkedCase(case, *how[case.id]) for case in cases]


def linked_cases(*, session: Session, case_id: int) -> list[Case]:
    return [link.case for link in case_links(session=session, case_id=case_id)]
