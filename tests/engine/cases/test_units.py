"""Which school a case concerns, and keeping the school out (engine.cases.units, engine.cases.access)."""
from __future__ import annotations

from engine.cases.access import concerned_unit, unit_admits
from engine.cases.models import Case
from engine.cases.units import note_units
from engine.people.actors import SYSTEM, Actor
from tests.conftest import START

TAKPIT = Actor(1, "worker.school_takpit", "case_worker", "spm_tak", unit_code="school_takpit")
PADUNG = Actor(2, "worker.school_padung", "case_worker", "spm_tak", unit_code="school_padung")
OFFICE = Actor(3, "supervisor.spm_tak", "supervisor", "spm_tak")


class Recorder:
    """Stands in for the session: keeps what the audit trail would get."""

    def __init__(self) -> None:
        self.events: list = []

    def add(self, event) -> None:
        self.events.append(event)


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
