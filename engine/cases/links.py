"""Cases linked by referral, read from SQL."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases.models import Case, CaseLink


def linked_cases(session: Session, case_id: int) -> list[Case]:
    """Cases this case referred to, and the case that referred it, oldest first."""
    links = session.scalars(
        select(CaseLink).where(or_(CaseLink.from_case_id == case_id, CaseLink.to_case_id == case_id))
    ).all()
    other_ids = {link.to_case_id if link.from_case_id == case_id else link.from_case_id for link in links}
    if not other_ids:
        return []
    return list(session.scalars(select(Case).where(Case.id.in_(other_ids)).order_by(Case.created_at, Case.id)))
