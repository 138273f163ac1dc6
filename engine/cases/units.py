"""Which school a case concerns, and when that school is kept out of it (issue 12, items 4 and 6).

A case comes to concern a unit of the network (a school of the education office) through the
forms completed on it: the child's school on an intake, or the reporting unit the intake names
when the case has none yet. When a form says that the alleged abuser is a teacher or staff of the
school, the school is kept out of the case for good: its staff may not open it, list it or work
on it, while the education office's own staff go on (:mod:`engine.cases.access`). A later form
that says otherwise does not let the school back in; the child's account of its staff is already
on the file.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import concerned_unit, unit_admits
from engine.cases.models import Case, WorkItem, WorkItemState
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.people.models import User

CHILD_SCHOOL_FIELD = "child_school"
REPORTER_UNIT_FIELD = "reporter_unit"
SCHOOL_STAFF_FIELD = "alleged_abuser_is_school_staff"


def note_units(*, session: Session, case: Case, data: dict[str, Any], network: Network, actor: Actor,
               now: datetime, completing_item_id: int | None = None) -> None:
    """What a completed form says about the case's unit, in the command's transaction; work a
    school's staff held in a case their school may no longer see goes back to the queue."""
    before = (case.unit_code, case.unit_kept_out)
    school = data.get(CHILD_SCHOOL_FIELD)
    reporter = data.get(REPORTER_UNIT_FIELD)
    unit = None
    if isinstance(school, str) and school in network.units:
        unit = school
    elif isinstance(reporter, str) and reporter in network.units and concerned_unit(case) not in network.units:
        unit = reporter
    if unit is not None and unit != case.unit_code:
        case.unit_code = unit
        audit.record(session, action="case.unit_set", actor=actor, at=now, case_id=case.id, unit=unit)
    if data.get(SCHOOL_STAFF_FIELD) is True and not case.unit_kept_out:
        case.unit_kept_out = True
        audit.record(session, action="case.unit_kept_out", actor=actor, at=now, case_id=case.id,
                     unit=concerned_unit(case))
    if (case.unit_code, case.unit_kept_out) != before:
        _release_work_out_of_sight(session=session, case=case, actor=actor, now=now, except_item_id=completing_item_id)


def _release_work_out_of_sight(*, session: Session, case: Case, actor: Actor, now: datetime,
                               except_item_id: int | None) -> None:
    """A task claimed by someone whose unit no longer admits the case returns to the agency's
    queue, where the agency's own staff find it; its holder could neither open nor finish it."""
    held = session.execute(
        select(WorkItem, User)
        .join(User, User.id == WorkItem.assignee_id)
        .where(WorkItem.case_id == case.id, WorkItem.state == WorkItemState.CLAIMED.value,
               User.unit_code.is_not(None))
    ).all()
    for item, holder in held:
        if item.id == except_item_id or unit_admits(Actor.of(holder), case):
            continue
        item.state, item.assignee_id = WorkItemState.OPEN.value, None
        audit.record(session, action="work_item.unclaimed", actor=actor, at=now, case_id=case.id,
                     work_item_id=item.id, released_from=holder.username, reason="unit_out_of_sight")
