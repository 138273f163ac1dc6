"""Deadlines in working days: ``business_days(n)``/``business_hours(n)`` in expressions and in
timers of running cases, on the simulated clock.

The acceptance case: work begun on Friday 4 December 2026 at 10:00 in Tak with three business
days to do it is due on Friday 11 December at 10:00, because Saturday 5 (a holiday), Sunday 6,
Monday 7 (its substitution day) and Thursday 10 (Constitution Day) do not count.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine.calendar import BusinessCalendar, Closure, calendar_in_effect
from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.clock import SimulatedClock, clock_in_effect
from engine.deadlines.tick import tick
from engine.errors import InvalidInput
from engine.protocols import service as protocols
from engine.settings import Settings
from engine.wiring import Wiring
from engine.workflow.expressions import SCRIPT_ENGINE, ExpressionError, check_expression, evaluate, to_engine_value

TAK = timezone(timedelta(hours=7))
FRIDAY_10 = datetime(2026, 12, 4, 10, 0, tzinfo=TAK)
DUE = datetime(2026, 12, 11, 10, 0, tzinfo=TAK)
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

PMJ_CLOSED_TUESDAY = BusinessCalendar(
    (Closure(date(2026, 12, 8), "สำนักงานปิดเนื่องจากงานประเพณีท้องถิ่น", "Office closed for a local festival", "pmj_tak"),)
)


@pytest.fixture
def friday() -> SimulatedClock:
    return SimulatedClock(FRIDAY_10)


# -- the functions in expressions ---------------------------------------------------------------


def test_business_days_is_counted_from_the_clock_in_effect_and_given_in_utc(friday):
    check_expression("business_days(3)")
    check_expression("business_hours(4.5)")
    with clock_in_effect(friday):
        due = evaluate("business_days(3)", {})
        assert evaluate("business_days(n) - now()", {"n": 3}) == DUE - FRIDAY_10
    assert due == DUE
    assert due.utcoffset() == timedelta(0)
    # What SpiffWorkflow's timer receives.
    assert to_engine_value(due) == "2026-12-11T03:00:00+00:00"


def test_business_hours_is_counted_in_office_hours(friday):
    # Friday 10:00: 6.5 office hours left that day, the last half hour on Tuesday the 8th.
    with clock_in_effect(friday):
        assert evaluate("business_hours(7)", {}) == datetime(2026, 12, 8, 9, 0, tzinfo=TAK)


@pytest.mark.parametrize(
    "expression, message",
    [
        ("business_days(-1)", "between 0 and 3650"),
        ("business_days(3651)", "between 0 and 3650"),
        ("business_days(1.5)", "whole number"),
        ("business_days('3')", "whole number"),
        ("business_hours(0)", "more than 0"),
        ("business_hours(2001)", "at most 2000"),
        ("business_hours(True)", "must be a number"),
    ],
)
def test_bad_arguments_are_expression_errors(friday, expression, message):
    with clock_in_effect(friday), pytest.raises(ExpressionError, match=message):
        evaluate(expression, {})


def test_an_invalid_calendar_file_stops_the_installation_naming_the_field(tmp_path):
    # The calendar is read with the network when a process is wired, not by the expression
    # functions: a broken file is refused before any deadline is counted in it.
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text('[[closures]]\ndate = "2026-12-08"\nreason_th = "ปิด"\nreason_en = "Closed"\n')
    with pytest.raises(InvalidInput, match=r"calendar.*closures\[0\]\.date"):
        Wiring.from_settings(Settings(calendar_file=calendar_file, database_url="sqlite://"))


def fake_task(lane: str | None) -> SimpleNamespace:
    return SimpleNamespace(task_spec=SimpleNamespace(lane=lane), data={})


@pytest.mark.parametrize(
    "lane, due",
    [
        ("pmj_tak", datetime(2026, 12, 14, 10, 0, tzinfo=TAK)),
        ("pmj_tak/supervisor", datetime(2026, 12, 14, 10, 0, tzinfo=TAK)),
        ("spm_tak", DUE),
        (None, DUE),
    ],
)
def test_the_script_engine_applies_the_closures_of_the_lane_agency(friday, lane, due):
    with clock_in_effect(friday), calendar_in_effect(PMJ_CLOSED_TUESDAY):
        assert SCRIPT_ENGINE.evaluate(fake_task(lane), "business_days(3)") == due.astimezone(timezone.utc).isoformat()
        # The lane is the evaluating task's only: outside it, province-wide closures alone apply.
        assert evaluate("business_days(3)", {}) == DUE


def test_the_lane_is_withdrawn_even_when_the_expression_fails(friday):
    with clock_in_effect(friday), calendar_in_effect(PMJ_CLOSED_TUESDAY):
        # SpiffWorkflow's own error wrapper needs a whole workflow, so the fake task makes it
        # fail too: either way, an exception leaves the engine.
        with pytest.raises(Exception):  # noqa: B017
            SCRIPT_ENGINE.evaluate(fake_task("pmj_tak"), "business_days(-1)")
        assert evaluate("business_days(3)", {}) == DUE


# -- timers in running cases --------------------------------------------------------------------


def deadline_protocol(process_id: str, owner: str, timer_expression: str) -> str:
    """A task in lane *owner* with a non-interrupting timer boundary event (in the same lane)
    leading to a follow-up in the other agency's lane."""
    other = "spm_tak" if owner.startswith("pmj_tak") else "pmj_tak"
    lanes = {owner: ["begin", "assess", "assess_deadline", "done"], other: ["follow_up", "followed_up"]}
    lane_xml = "".join(
        f'<bpmn:lane id="lane_{index}" name="{name}">'
        + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
        + "</bpmn:lane>"
        for index, (name, refs) in enumerate(lanes.items())
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="{process_id}_definitions" targetNamespace="https://khumkrong.example/test">
  <bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">
    <bpmn:laneSet id="{process_id}_lanes">{lane_xml}</bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>to_assess</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="assess" name="assess">
      <bpmn:incoming>to_assess</bpmn:incoming><bpmn:outgoing>to_done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="assess_deadline" attachedToRef="assess" cancelActivity="false">
      <bpmn:outgoing>to_follow_up</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>{timer_expression}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="follow_up" name="follow_up">
      <bpmn:incoming>to_follow_up</bpmn:incoming><bpmn:outgoing>to_followed_up</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>to_done</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="followed_up"><bpmn:incoming>to_followed_up</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_assess" sourceRef="begin" targetRef="assess"/>
    <bpmn:sequenceFlow id="to_done" sourceRef="assess" targetRef="done"/>
    <bpmn:sequenceFlow id="to_follow_up" sourceRef="assess_deadline" targetRef="follow_up"/>
    <bpmn:sequenceFlow id="to_followed_up" sourceRef="follow_up" targetRef="followed_up"/>
  </bpmn:process>
</bpmn:definitions>
"""


def start_case(session, network, clock, people, key: str, bpmn: str) -> Case:
    version, _ = protocols.store_draft(
        session=session, key=key, bpmn=bpmn, network=network, clock=clock, actor=people["policy"]
    )
    protocols.publish(session=session, key=key, version=version.version, clock=clock, actor=people["policy"])
    return commands.start_case(
        session=session, protocol_key=key, data={}, actor=people["school_worker"], clock=clock, network=network
    )


def live(session, case_id: int) -> dict[str, WorkItem]:
    session.expire_all()
    statement = select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state.in_(("open", "claimed")))
    return {item.task_name: item for item in session.scalars(statement)}


def next_timer(session, case_id: int) -> datetime | None:
    session.expire_all()
    return session.get(Case, case_id).next_timer_at


def test_three_business_days_from_friday_skip_the_holidays(session, network, people, friday):
    case = start_case(
        session, network, friday, people, "three_days", deadline_protocol("three_days", "spm_tak", "business_days(3)")
    )
    assess = live(session, case.id)["assess"]
    assert assess.created_at == FRIDAY_10
    assert assess.due_at == DUE
    assert next_timer(session, case.id) == DUE

    friday.set(DUE - timedelta(minutes=1))
    early = tick(session=session, clock=friday, network=network)
    assert early.timers_fired == 0
    assert set(live(session, case.id)) == {"assess"}
    assert next_timer(session, case.id) == DUE

    friday.set(DUE + timedelta(minutes=1))
    due = tick(session=session, clock=friday, network=network)
    assert (due.cases_examined, due.timers_fired, due.failed_case_ids) == (1, 1, [])
    now_live = live(session, case.id)
    # Non-interrupting: the late work stays open beside the follow-up.
    assert set(now_live) == {"assess", "follow_up"}
    assert now_live["follow_up"].agency_code == "pmj_tak"
    assert now_live["follow_up"].created_at == DUE + timedelta(minutes=1)
    assert next_timer(session, case.id) is None


@pytest.mark.parametrize(
    "owner, due",
    [
        # Tuesday the 8th does not count for pmj_tak: the 9th, 11th and 14th do.
        ("pmj_tak", datetime(2026, 12, 14, 10, 0, tzinfo=TAK)),
        ("pmj_tak/case_worker", datetime(2026, 12, 14, 10, 0, tzinfo=TAK)),
        ("spm_tak", DUE),
    ],
)
def test_an_agency_closure_moves_only_that_agency_deadlines(session, network, people, friday, owner, due):
    bpmn = deadline_protocol("closure", owner, "business_days(3)")
    case = start_case(session, replace(network, calendar=PMJ_CLOSED_TUESDAY), friday, people, "closure", bpmn)
    assess = live(session, case.id)["assess"]
    assert assess.agency_code == owner.partition("/")[0]
    assert assess.due_at == due
    assert next_timer(session, case.id) == due

    # The deadline was fixed when the work began; the calendar in effect later does not matter.
    friday.set(due - timedelta(minutes=1))
    assert tick(session=session, clock=friday, network=network).timers_fired == 0
    friday.set(due + timedelta(minutes=1))
    assert tick(session=session, clock=friday, network=network).timers_fired == 1
    assert set(live(session, case.id)) == {"assess", "follow_up"}


def test_business_hours_timer_counts_office_hours_only(session, network, people):
    # Friday 15:00: 1.5 hours on Friday, then Tuesday from 08:30 for the remaining 2.5.
    clock = SimulatedClock(datetime(2026, 12, 4, 15, 0, tzinfo=TAK))
    case = start_case(
        session, network, clock, people, "four_hours", deadline_protocol("four_hours", "spm_tak", "business_hours(4)")
    )
    due = datetime(2026, 12, 8, 11, 0, tzinfo=TAK)
    assert live(session, case.id)["assess"].due_at == due
    assert next_timer(session, case.id) == due
