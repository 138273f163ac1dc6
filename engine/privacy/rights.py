"""Who answers to a child for the data of a case (PDPA ss.30-36): release it to them, rectify
it, restrict it. Asked here by every caller, like the other rights."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.access import case_visibility, may_see_case, sees_every_case
from engine.cases.models import Case
from engine.errors import Forbidden
from engine.people.actors import Actor
from engine.people.roles import DATA_PROTECTION_ROLES


def answers_for_data(actor: Actor) -> bool:
    return not actor.is_system and actor.role in DATA_PROTECTION_ROLES


def ensure_answers_for_data(actor: Actor, what: str) -> None:
    if not answers_for_data(actor):
        raise Forbidden(f"{actor.role} may not {what}: only supervisors and the committee answer data subjects",
                        role=actor.role)


def may_release_case(*, session: Session, actor: Actor, case_id: int) -> bool:
    """The committee may release any case; a supervisor the cases their agency may see."""
    return answers_for_data(actor) and (sees_every_case(actor) or may_see_case(session=session, actor=actor, case_id=case_id))


def releasable_case_ids(*, session: Session, actor: Actor, child_id: int) -> list[int]:
    """The child's cases the actor may release, oldest first (one query)."""
    if not answers_for_data(actor):
        return []
    return list(session.scalars(
        select(Case.id).where(Case.child_id == child_id, case_visibility(actor)).order_by(Case.created_at, Case.id)
    ))
