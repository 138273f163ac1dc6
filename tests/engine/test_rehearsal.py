"""Rehearsing protocols on a simulated clock: scenarios, timelines, timers at their due time."""
from __future__ import annotations

import json
import tomllib
from datetime import datetime, timedelta, timezone

import pytest
from rich.console import Console

from engine.errors import InvalidInput, InvalidState, ProtocolInvalid
from engine.rehearsal import (
    DEFAULT_START,
    Rehearsal,
    ScenarioFailed,
    load_scenario,
    parse_scenario,
    run_scenario,
)
from tests.conftest import FIXTURES

REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")
TAK = timezone(timedelta(hours=7))

POLICE_LATE = """
[start]
at = 2026-11-30T09:00:00+07:00
data = { channel = "school" }

[[steps]]
at = "PT1H"
complete = "report"
as = "spm_tak"
data = { severity = "high" }

[[steps]]
advance = "PT30H"          # nobody at pmj_tak assesses in time
"""


def rows(timeline, **match):
    return [row for row in timeline.rows if all(getattr(row, k) == v for k, v in match.items())]


def test_a_late_assessment_shows_the_follow_up_created_at_the_deadline(network):
    timeline = run_scenario(REFERENCE, network, parse_scenario(tomllib.loads(POLICE_LATE)))
    start = datetime(2026, 11, 30, 9, 0, tzinfo=TAK)
    [report] = rows(timeline, task="report")
    [assess] = rows(timeline, task="assess")
    [follow_up] = rows(timeline, task="follow_up")
    assert (report.created, report.completed, report.agency) == (start, start + timedelta(hours=1), "spm_tak")
    deadline = start + timedelta(hours=25)
    assert (assess.agency, assess.created, assess.due, assess.completed) == ("pmj_tak", start + timedelta(hours=1), deadline, None)
    # The follow-up is created at the deadline itself (the clock stops there), not at the
    # end of the 30 hours.
    assert follow_up.created.replace(microsecond=0) == deadline
    assert follow_up.created - deadline < timedelta(seconds=1)
    assert (follow_up.agency, follow_up.state) == ("spm_tak", "open")
    assert [row.task for row in timeline.rows] == ["report", "assess", "follow_up"]
    assert timeline.now == start + timedelta(hours=31)

    data = timeline.as_dict()
    assert data["case"]["status"] == "active"
    assert data["rows"][2]["created"] == "2026-12-01T10:00:00+07:00"
    assert data["rows"][2]["elapsed"] == "+1d 01:00"
    assert data["rows"][1]["due"] == "2026-12-01T10:00:00+07:00"
    # The deadline escalates; the escalation is raised at the deadline, on the late task.
    [escalation] = assess.escalations
    assert (escalation["reason"], escalation["source"], escalation["level"]) == ("overdue", "assess_deadline", 1)
    assert timedelta(0) <= escalation["raised_at"] - deadline < timedelta(seconds=1)
    assert data["rows"][1]["escalations"] == [
        {**e, "raised_at": "2026-12-01T10:00:00+07:00"} for e in assess.escalations
    ]


def test_the_timeline_is_the_same_on_the_test_database(network, database_url):
    # On SQLite by default, on PostgreSQL when the suite runs against it.
    scenario = parse_scenario(tomllib.loads(POLICE_LATE))
    on_temporary = run_scenario(REFERENCE, network, scenario).as_json()
    on_configured = run_scenario(REFERENCE, network, scenario, database_url=database_url).as_json()
    assert on_configured == on_temporary
    assert json.loads(on_temporary)["rows"][2]["task"] == "follow_up"


def test_repeating_timers_fire_at_each_due_time_within_one_advance(network):
    cycle = REFERENCE.replace("<bpmn:timeDuration>PT24H</bpmn:timeDuration>", "<bpmn:timeCycle>R2/PT2H</bpmn:timeCycle>")
    with Rehearsal(cycle, network) as rehearsal:
        rehearsal.start({"channel": "school"})
        rehearsal.complete("report", "spm_tak", {"severity": "high"})
        rehearsal.advance("P1D")
        follow_ups = rows(rehearsal.timeline(), task="follow_up")
    assert [row.created.replace(microsecond=0) for row in follow_ups] == [
        DEFAULT_START + timedelta(hours=2), DEFAULT_START + timedelta(hours=4),
    ]


def test_a_referral_appears_on_the_row_of_the_task_that_sent_it(network):
    referring = REFERENCE.replace(
        '<bpmn:endEvent id="end_filed"><bpmn:incoming>to_end_filed</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:endEvent id="end_filed"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="legalBasis" value="public_task"/></camunda:properties></bpmn:extensionElements>'
        '<bpmn:incoming>to_end_filed</bpmn:incoming><bpmn:messageEventDefinition messageRef="to_p2"/></bpmn:endEvent>',
    ).replace("<bpmn:collaboration", '<bpmn:message id="to_p2" name="refer_p2"/><bpmn:collaboration')
    with Rehearsal(referring, network) as rehearsal:
        rehearsal.start({})
        rehearsal.complete("report", "spm_tak", {"severity": "low"})
        rehearsal.advance("PT2H")
        rehearsal.complete("file_report", "spm_tak", {})
        timeline = rehearsal.timeline()
    assert [(row.task, row.referrals) for row in timeline.rows] == [
        ("report", []), ("file_report", ["refer_p2"]),
    ]
    assert timeline.case_status == "completed"


def test_the_table_shows_every_task_with_thai_and_english_headings(network):
    timeline = run_scenario(REFERENCE, network, parse_scenario(tomllib.loads(POLICE_LATE)))
    console = Console(record=True, width=200)
    console.print(timeline.as_table())
    text = console.export_text()
    for expected in ("เวลา", "time", "escalations", "ประเมินสภาพปัญหา", "(follow_up)", "12-01 10:00", "ค้าง / open", "+1d 01:00"):
        assert expected in text


# -- the programmatic API -----------------------------------------------------------------------


def test_completing_a_task_that_is_not_open_says_what_is(network):
    with Rehearsal(REFERENCE, network) as rehearsal:
        rehearsal.start({})
        with pytest.raises(InvalidInput, match=r"no open task 'assess'; open tasks: report \(spm_tak\)"):
            rehearsal.complete("assess", "pmj_tak", {})
        with pytest.raises(InvalidInput, match="belongs to spm_tak, not police_tak"):
            rehearsal.complete("report", "police_tak", {})
        with pytest.raises(InvalidInput, match="cannot go back"):
            rehearsal.advance_to(DEFAULT_START - timedelta(minutes=1))
        with pytest.raises(InvalidState, match="already started"):
            rehearsal.start({})


def test_a_protocol_that_fails_lint_cannot_be_rehearsed(network):
    with pytest.raises(ProtocolInvalid):
        Rehearsal((FIXTURES / "lint" / "dead-end.bpmn").read_text(encoding="utf-8"), network)


def test_a_failing_step_reports_its_number_and_the_timeline_so_far(network):
    scenario = parse_scenario({"steps": [
        {"at": "PT1H", "complete": "report", "as": "spm_tak", "data": {"severity": "low"}},
        {"complete": "assess", "as": "pmj_tak"},
    ]})
    with pytest.raises(ScenarioFailed) as failed:
        run_scenario(REFERENCE, network, scenario)
    assert failed.value.step == 2
    assert "scenario step 2 failed" in failed.value.message and "file_report (spm_tak)" in failed.value.message
    assert [row.task for row in failed.value.timeline.rows] == ["report", "file_report"]


# -- scenario files -----------------------------------------------------------------------------


def test_json_and_toml_scenarios_say_the_same(tmp_path):
    toml_file = tmp_path / "late.toml"
    toml_file.write_text(POLICE_LATE, encoding="utf-8")
    json_file = tmp_path / "late.json"
    json_file.write_text(json.dumps({
        "start": {"at": "2026-11-30T09:00:00+07:00", "data": {"channel": "school"}},
        "steps": [
            {"at": "PT1H", "complete": "report", "as": "spm_tak", "data": {"severity": "high"}},
            {"advance": "PT30H"},
        ],
    }), encoding="utf-8")
    assert load_scenario(toml_file) == load_scenario(json_file)
    assert load_scenario(toml_file).steps[0].as_agency == "spm_tak"


@pytest.mark.parametrize("document, complaint", [
    ({"steps": [{"complet": "report"}]}, "unknown key(s) complet"),
    ({"steps": [{"complete": "report", "advance": "PT1H"}]}, "not both"),
    ({"steps": [{"as": "spm_tak"}]}, "say what happens"),
    ({"steps": [{"advance": "PT1H", "data": {"x": 1}}]}, "belong to a step that completes"),
    ({"steps": [{"advance": "1 hour"}]}, "ISO 8601 duration"),
    ({"steps": [{"at": "P1X"}]}, "'P1X'"),
    ({"start": {"at": "2026-11-30T09:00:00"}}, "needs a UTC offset"),
    ({"start": {"at": "yesterday"}}, "not an ISO 8601 date-time"),
    ({"start": {"data": [1]}}, "start.data must be a table"),
    ({"steps": {"advance": "PT1H"}}, "steps must be a list"),
    ({"begin": {}}, "unknown key(s) begin"),
])
def test_a_malformed_scenario_is_refused_with_a_clear_message(document, complaint):
    with pytest.raises(InvalidInput) as refused:
        parse_scenario(document)
    assert complaint in refused.value.message


def test_an_unreadable_scenario_file_is_refused(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[start\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_scenario(broken)
    with pytest.raises(InvalidInput, match="cannot read scenario"):
        load_scenario(tmp_path / "missing.json")
