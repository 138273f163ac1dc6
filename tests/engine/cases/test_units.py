"""Which school a case concerns, and keeping the school out (engine.cases.units, engine.cases.access)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.access import concerned_unit, unit_admits
from engine.cases.models import Case, WorkItem
from engine.cases.units import note_units
from engine.errors import NotFound
from engine.people.actors import SYSTEM, Actor
from tests.conftest import START, add_user
from tests.engine.cases.test_commands import publish_reference

TAKPIT = Actor(1, "worker.school_takpit", "case_worker", "spm_tak", unit_code="school_takpit")
PADUNG = Actor(2, "worker.school_padung", "case_worker", "spm_tak", unit_code="school_padung")
OFFICE = Actor(3, "supervisor.spm_tak", "supervisor", "spm_tak")


class Recorder:
    """Stands in for the session: keeps what the audit trail would get."""

    def __init__(self) -> None:
        self.events: list = []

    def add(self, event) -> None:
        self.events.append(event)

    def execute(self, _statement):
        return self  # no work is held in these cases

    def all(self) -> list:
        return []


def noted(case: Case, data: dict, network) -> list[str]:
    recorder = Recorder()
    note_units(session=recorder, case=case, data=data, network=network, actor=SYSTEM, now=START)  # type: ignore[arg-type]
    return [event.action for event in recorder.events]


def test_the_childs_school_is_the_unit_the_case_concerns(network):
    case = Case(id=1, reporting_unit="school_padung", unit_kept_out=False)
    assert concerned_unit(case) == "school_padung" and unit_admits(PADUNG, case) and not unit_admits(TAKPIT, case)
    assert noted(case, {"child_school": "school_takpit"}, network) == ["case.unit_set"]
    assert unit_admits(TAKPIT, case) and not unit_admits(PADUNG, case) and unit_admits(OFFICE, case)


def test_a_school_name_that_is_no_unit_code_changes_nothing(network):
    case = Case(id=1, reporting_unit="school_padung", unit_kept_out=False)
    assert noted(case, {"child_school": "โรงเรียนบ้านนอก"}, network) == []
    assert concerned_unit(case) == "school_padung"


def test_the_reporting_unit_named_on_the_intake_counts_when_an_agency_reported(network):
    case = Case(id=1, reporting_unit="pmj_tak", unit_kept_out=False)
    assert not unit_admits(TAKPIT, case)
    assert noted(case, {"reporter_unit": "school_takpit"}, network) == ["case.unit_set"]
    assert unit_admits(TAKPIT, case)
    # It never overrides a school the case already concerns.
    assert noted(case, {"reporter_unit": "school_padung"}, network) == []
    assert concerned_unit(case) == "school_takpit"


def test_a_school_kept_out_stays_out_whatever_a_later_form_says(network):
    case = Case(id=1, reporting_unit="school_takpit", unit_kept_out=False)
    assert noted(case, {"alleged_abuser_is_school_staff": True}, network) == ["case.unit_kept_out"]
    assert not unit_admits(TAKPIT, case) and unit_admits(OFFICE, case)
    assert noted(case, {"alleged_abuser_is_school_staff": False}, network) == []
    assert case.unit_kept_out is True and not unit_admits(TAKPIT, case)


def test_work_a_school_held_goes_back_to_the_queue_when_the_school_is_kept_out(session, network, clock, people):
    publish_reference(session, network, clock, people["policy"])
    teacher = add_user(session, "worker.school_takpit", "case_worker", "spm_tak", "school_takpit")
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=people["school_worker"],
                               clock=clock, network=network, reporting_unit="school_takpit")
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assignment.claim(session=session, work_item_id=item.id, actor=teacher, clock=clock)

    # Another task of the case reveals that the alleged abuser is the school's own staff.
    note_units(session=session, case=case, data={"alleged_abuser_is_school_staff": True}, network=network,
               actor=people["school_worker"], now=clock.now())
    session.commit()
    session.refresh(item)
    assert (item.state, item.assignee_id) == ("open", None)
    released = session.scalars(select(AuditEvent).where(AuditEvent.action == "work_item.unclaimed",
                                                        AuditEvent.work_item_id == item.id)).one()
    assert released.details == {"released_from": "worker.school_takpit", "reason": "unit_out_of_sight"}
    # The teacher cannot take it back; the office's worker takes it.
    with pytest.raises(NotFound):
        assignment.claim(session=session, work_item_id=item.id, actor=teacher, clock=clock)
    assignment.claim(session=session, work_item_id=item.id, actor=people["school_worker"], clock=clock)
