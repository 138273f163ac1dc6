"""Who a supervisor may give a task to: the active people of the owning agency who may work it."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.access import unit_admits
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, WorkItem
from engine.cases.rights import may_assign
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import WORKING_ROLES, may_work_seat


def assignment_choices(*, session: Session, actor: Actor, work_item_ids: Iterable[int]) -> dict[int, list[User]]:
    """For each live work item the actor may assign (by id), the people
    ``engine.cases.assignment.reassign`` would accept, by display name; three queries in all.
    A school's staff are offered only for the cases their school may see."""
    wanted = set(work_item_ids)
    if not wanted:
        return {}
    items = [
        item for item in session.scalars(select(WorkItem).where(WorkItem.id.in_(wanted)))
        if item.state in LIVE_WORK_ITEM_STATES and may_assign(actor, item)
    ]
    if not items:
        return {}
    people = list(session.scalars(
        select(User)
        .where(User.active.is_(True), User.agency_code.in_({item.agency_code for item in items}),
               User.role_code.in_(tuple(WORKING_ROLES)))
        .order_by(User.display_name, User.username)
    ))
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_({i.case_id for i in items})))}
    return {
        item.id: [
            person for person in people
            if may_work_seat(role=person.role_code, agency_code=person.agency_code, seat_agency=item.agency_code,
                             seat_role=item.candidate_role)
            and unit_admits(Actor.of(person), cases[item.case_id])
        ]
        for item in items
    }
