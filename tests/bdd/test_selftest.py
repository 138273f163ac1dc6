"""The step library tested on its own protocols, before (and apart from) the Tak library."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from pytest_bdd import scenarios
from pytest_bdd.exceptions import StepDefinitionNotFoundError
from sqlalchemy import select

from engine.cases.models import Escalation
from tests.bdd.conftest import pytest_bdd_step_func_lookup_error
from tests.bdd.steps import ScenarioFailure, World, duration, table_data
from tests.conftest import FIXTURES

SELFTEST = Path(__file__).resolve().parent / "features_selftest"


@pytest.fixture
def bdd_protocol_files() -> dict[str, Path]:
    return {
        "reference": FIXTURES / "reference_protocol.bpmn",
        "selftest_sender": SELFTEST / "selftest_sender.bpmn",
        "selftest_receiver": SELFTEST / "selftest_receiver.bpmn",
    }


@pytest.fixture
def bdd_protocol_aliases() -> dict[str, str]:
    return {"REF": "reference", "SEND": "selftest_sender", "RECV": "selftest_receiver"}


@pytest.fixture
def bdd_forms_folder() -> Path:
    # The reference protocol's forms (report_form requires "severity"): completion data is
    # checked against them by the engine.
    return FIXTURES / "lint" / "forms"


@pytest.fixture
def bdd_lint_forms() -> bool:
    # The reference protocol has tasks without forms, which form lint refuses; it is an engine
    # fixture, not a Tak protocol.
    return False


scenarios(str(SELFTEST))


# -- behaviour the feature files cannot show: failures and their messages ----------------------


def test_world_has_the_demo_people_and_the_protocols(world: World):
    assert {"worker.police_tak", "supervisor.police_tak", "worker.spm_tak", "admin"} <= set(world.users)
    assert world.users["supervisor.pmj_tak"].role == "supervisor"
    assert world.stored_keys() == ["reference", "selftest_receiver", "selftest_sender"]
    assert world.refused == {}
    assert world.protocol_key("REF") == world.protocol_key("ref") == world.protocol_key("reference") == "reference"
    assert world.protocol_key("SELFTEST_SENDER") == "selftest_sender"


def test_unknown_protocols_and_reporters_are_named(world: World):
    with pytest.raises(ScenarioFailure, match="known: reference, selftest_receiver, selftest_sender"):
        world.protocol_key("P1")
    with pytest.raises(ScenarioFailure, match="more than one"):
        world.protocol_key("selftest")
    with pytest.raises(ScenarioFailure, match="neither a reporting unit nor an agency"):
        world.start("REF", "school_nowhere")


def test_a_refused_protocol_fails_only_the_scenarios_that_use_it(world: World):
    world.refused["p1_broken"] = "p1_broken.bpmn: error lane-missing [x]: …"
    with pytest.raises(ScenarioFailure, match="could not be stored.*lane-missing"):
        world.protocol_key("P1")


def test_completing_as_the_wrong_agency_or_with_bad_data_says_why(world: World):
    world.start("REF", "school_takpit")
    with pytest.raises(ScenarioFailure, match="belongs to 'spm_tak', not 'police_tak'"):
        world.complete("police_tak", "รับแจ้งเหตุ", {"severity": "high"})
    with pytest.raises(ScenarioFailure, match="severity"):
        world.complete("spm_tak", "รับแจ้งเหตุ", {})
    with pytest.raises(ScenarioFailure, match=r"no open task 'ไม่มี' in case TAK-2026-000001 \(reference, active\).*'รับแจ้งเหตุ' \(spm_tak\)"):
        world.complete("spm_tak", "ไม่มี", {})
    with pytest.raises(ScenarioFailure, match="is open for spm_tak, not for 'pmj_tak'"):
        world.assert_open_task("pmj_tak", "รับแจ้งเหตุ")


def test_a_referral_links_the_cases_and_the_linked_task_can_be_completed(world: World):
    sender = world.start("SEND", "school_padung")
    world.complete("spm_tak", "ตัดสินใจส่งต่อ", {"reason": "ขาดเรียนบ่อย"})
    linked = world.assert_linked_case("RECV")
    assert linked.reporting_unit == "school_padung"
    world.complete("pmj_tak", "รับเรื่องส่งต่อ", {})  # found in the linked case
    assert world.current_case_id == sender.id
    assert world._fresh_case(linked.id).status == "completed"
    with pytest.raises(ScenarioFailure, match="has no linked case of reference"):
        world.assert_linked_case("REF")


def test_timers_fire_at_their_due_time_during_a_long_wait(world: World):
    world.start("REF", "school_takpit")
    world.complete("spm_tak", "รับแจ้งเหตุ", {"severity": "high"})
    created = world.clock.now()
    world.pass_time(timedelta(days=5))
    escalation = world.session.scalars(select(Escalation)).one()
    # Raised within a second of the deadline, and climbed a day after each level, not at the
    # end of the five days.
    assert timedelta(hours=24) <= escalation.raised_at - created <= timedelta(hours=24, seconds=1)
    assert escalation.level == 4  # the chain has four levels; it stops at the top
    assert world.clock.now() == created + timedelta(days=5)
    with pytest.raises(ScenarioFailure, match="no level-1 escalation targets 'provincial_committee'"):
        world.assert_escalation(1, "provincial_committee", None)
    with pytest.raises(ScenarioFailure, match="not an escalation target"):
        world.assert_escalation(1, "the_governor", None)


def test_due_times_and_absent_escalations_are_checked_against_what_happened(world: World):
    world.start("REF", "school_takpit")
    world.complete("spm_tak", "รับแจ้งเหตุ", {"severity": "high"})
    world.assert_due_at("ประเมินสภาพปัญหา", "2026-12-01T09:00:00+07:00")
    with pytest.raises(ScenarioFailure, match=r"is due 2026-12-01T09:00:00\+07:00, not 2026-12-01T10:00:00\+07:00"):
        world.assert_due_at("ประเมินสภาพปัญหา", "2026-12-01T10:00:00+07:00")
    world.assert_no_escalation("agency_supervisors")
    world.pass_time(timedelta(days=2))
    # Climbed on to the secretariat: the supervisors were reached on the way.
    with pytest.raises(ScenarioFailure, match="escalations reached 'agency_supervisors'"):
        world.assert_no_escalation("agency_supervisors")
    with pytest.raises(ScenarioFailure, match="not an escalation target"):
        world.assert_no_escalation("the_governor")


def test_a_refused_completion_is_checked_and_leaves_the_task_open(world: World):
    world.start("REF", "school_takpit")
    message = world.complete_refused("spm_tak", "รับแจ้งเหตุ", {"severity": "extreme"})
    assert "severity" in message
    world.assert_open_task("spm_tak", "รับแจ้งเหตุ")
    with pytest.raises(ScenarioFailure, match="should have refused"):
        world.complete_refused("spm_tak", "รับแจ้งเหตุ", {"severity": "high"})


def test_acknowledging_without_an_escalation_lists_what_is_open(world: World):
    world.start("REF", "school_takpit")
    with pytest.raises(ScenarioFailure, match="no open escalation reaches the supervisors of 'police_tak'; open escalations: none"):
        world.acknowledge("police_tak")


def test_the_clock_cannot_go_back_once_a_case_exists(world: World):
    world.set_clock("2026-11-29T08:00:00+07:00")  # before anything happened: allowed
    world.start("REF", "spm_tak")
    with pytest.raises(ScenarioFailure, match="cannot go back"):
        world.set_clock("2026-11-28T08:00:00+07:00")
    with pytest.raises(ScenarioFailure, match="no time zone"):
        world.set_clock("2026-12-01T08:00:00")


def test_tables_and_durations():
    assert table_data([["field", "value"], ["age", "12"], ["danger", "true"], ["note", "ไม่ปลอดภัย"],
                       ["tags", '["a", "b"]'], ["code", '"007"']]) == {
        "age": 12, "danger": True, "note": "ไม่ปลอดภัย", "tags": ["a", "b"], "code": "007",
    }
    with pytest.raises(ScenarioFailure, match="twice"):
        table_data([["a", "1"], ["a", "2"]])
    with pytest.raises(ScenarioFailure, match="needs a table"):
        table_data(None)
    assert duration(2, "วัน") == duration(48, "hours") == timedelta(days=2)
    with pytest.raises(ScenarioFailure, match="unknown time unit"):
        duration(1, "fortnight")


def test_an_unknown_step_gets_the_nearest_wording_and_the_vocabulary():
    step = SimpleNamespace(keyword="When", name="“police_tak” finishes “รับแจ้งเหตุ”", line_number=7)
    feature = SimpleNamespace(rel_filename="features/p1.feature")
    with pytest.raises(StepDefinitionNotFoundError) as caught:
        pytest_bdd_step_func_lookup_error(request=None, feature=feature, scenario=None, step=step, exception=None)
    message = str(caught.value)
    assert "features/p1.feature:7" in message
    assert "straight double quotes" in message
    assert 'When "police_tak" completes "รับแจ้งเหตุ"' in message.split("closest known step(s):")[1].split("the vocabulary")[0]
    assert "กรณีปิดแล้ว" in message
