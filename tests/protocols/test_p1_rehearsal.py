"""Acceptance for rehearsal: P1 with the s.30(2) clock overrun prints the warning and the statutory
alarm at the expected times, counted from when the child was taken (not from when the questioning
task opened, and whatever the examination is doing), identically on a throw-away SQLite database
and on the configured one (PostgreSQL when the suite runs there)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine.cases.models import Escalation
from engine.rehearsal import Rehearsal, load_scenario, run_scenario
from engine.settings import PROJECT_ROOT

P1 = (PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn").read_bytes()
SCENARIO = PROJECT_ROOT / "protocols" / "scenarios" / "p1_custody_overrun.toml"
FORMS = PROJECT_ROOT / "forms"
TAK = timezone(timedelta(hours=7))
TAKEN = datetime(2026, 11, 30, 11, 0, tzinfo=TAK)  # separated_at, recorded half an hour later
QUESTIONING_OPENS = datetime(2026, 11, 30, 11, 30, tzinfo=TAK)


def test_the_custody_clock_runs_from_separation_and_an_overrun_goes_straight_to_the_secretariat(network, database_url):
    scenario = load_scenario(SCENARIO)
    timeline = run_scenario(P1, network, scenario, forms_dir=FORMS)
    [question] = [row for row in timeline.rows if row.task == "question_child"]
    # Due at the warning, 10 hours after the child was taken, not 10 hours after the task opened.
    assert (question.agency, question.created, question.due, question.completed) == (
        "pmj_tak", QUESTIONING_OPENS, TAKEN + timedelta(hours=10), None,
    )
    by_source = {e["source"]: e for e in question.escalations}
    warning = by_source["question_child_warning"]
    assert (warning["reason"], warning["level"], warning["target"]) == ("overdue", 1, "agency_supervisors")
    assert timedelta(0) <= warning["raised_at"] - (TAKEN + timedelta(hours=10)) < timedelta(seconds=1)
    [exam] = [row for row in timeline.rows if row.task == "medical_exam"]
    assert exam.completed is None and exam.escalations  # the examination is late as well
    [alarm] = [e for e in _all_escalations(timeline) if e["source"] == "end_custody_limit"]
    assert alarm == by_source["end_custody_limit"]  # on the questioning, not the separation before it
    assert (alarm["reason"], alarm["code"], alarm["level"], alarm["target"]) == (
        "thrown", "statutory_limit", 1, "committee_secretariat",
    )
    assert timedelta(0) <= alarm["raised_at"] - (TAKEN + timedelta(hours=12)) < timedelta(seconds=1)

    rendered = timeline.as_json()
    on_configured = run_scenario(P1, network, scenario, forms_dir=FORMS, database_url=database_url).as_json()
    assert on_configured == rendered
    row = next(r for r in json.loads(rendered)["rows"] if r["task"] == "question_child")
    assert row["due"] == "2026-11-30T21:00:00+07:00"


def _all_escalations(timeline):
    return [e for row in timeline.rows for e in row.escalations]


def test_the_escalation_records_show_the_warning_and_the_statutory_alarm(network):
    scenario = load_scenario(SCENARIO)
    with Rehearsal(P1, network, start_at=scenario.start_at, forms_dir=FORMS) as rehearsal:
        rehearsal.play(scenario)
        escalations = rehearsal.session.scalars(select(Escalation).order_by(Escalation.raised_at, Escalation.id)).all()
    about_custody = [e for e in escalations if e.source_element in ("question_child_warning", "question_child_limit", "end_custody_limit")]
    assert [(e.source_element, e.reason, e.level, e.target_code) for e in about_custody] == [
        ("question_child_warning", "overdue", 1, "agency_supervisors"),
        ("question_child_limit", "overdue", 2, "committee_secretariat"),
        ("end_custody_limit", "thrown", 1, "committee_secretariat"),
    ]
    alarm = about_custody[-1]
    assert (alarm.code, alarm.agency_code, alarm.target_agency_code, alarm.status) == (
        "statutory_limit", "pmj_tak", "pmj_tak", "open",
    )
    assert timedelta(0) <= alarm.raised_at - (TAKEN + timedelta(hours=12)) < timedelta(seconds=1)
