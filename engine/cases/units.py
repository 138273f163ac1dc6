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

from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import concerned_unit
from engine.cases.models import Case
from engine.network.definition import Network
from engine.people.actors import Actor

CHILD_SCHOOL_FIELD = "child_school"
REPORTER_UNIT_FIELD = "reporter_unit"
SCHOOL_STAFF_FIELD = "alleged_abuser_is_school_staff"


def note_units(*, session: Session, case: Case, data: dict[str, Any], network: Network, actor: Actor,
               now: datetime) -> None:
    """What a completed form says about the case's unit, in the command's transaction."""
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
