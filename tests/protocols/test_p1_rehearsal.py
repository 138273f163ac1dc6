"""Acceptance for rehearsal: P1 with the police late prints the expected escalation at the
expected time, identically on a throw-away SQLite database and on the configured one
(PostgreSQL when the suite runs there)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine.cases.models import Escalation
from engine.rehearsal import Rehearsal, load_scenario, run_scenario
from engine.settings import PROJECT_ROOT

P1 = (PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn").read_bytes()
SCENARIO = PROJECT_ROOT / "protocols" / "scenarios" / "p1_police_late.toml"
FORMS = PROJECT_ROOT / "forms"
TAK = timezone(timedelta(hours=7))
QUESTIONING_OPENS = datetime(2026, 11, 30, 12, 0, tzinfo=TAK)  # after the examination at +3 h


def test_police_late_escalates_at_the_statutory_limit_and_climbs(network, database_url):
    scenario = load_scenario(SCENARIO)
    timeline = run_scenario(P1, network, scenario, forms_dir=FORMS)
    [question] = [row for row in timeline.rows if row.task == "question_child"]
    assert (question.agency, question.created, question.due, question.completed) == (
        "police_tak", QUESTIONING_OPENS, QUESTIONING_OPENS + timedelta(hours=12), None,
    )
    [escalation] = question.escalations
    assert (escalation["reason"], escalation["source"]) == ("overdue", "question_child_deadline")
    # Raised at the 12-hour limit (the clock stops there), and climbed a day later.
    assert timedelta(0) <= escalation["raised_at"] - question.due < timedelta(seconds=1)
    assert (escalation["level"], escalation["target"]) == (2, "committee_secretariat")

    rendered = timeline.as_json()
    on_configured = run_scenario(P1, network, scenario, forms_dir=FORMS, database_url=database_url).as_json()
    assert on_configured == rendered
    row = next(r for r in json.loads(rendered)["rows"] if r["task"] == "question_child")
    assert row["due"] == "2026-12-01T00:00:00+07:00"


def test_the_escalation_record_shows_both_levels(network):
    scenario = load_scenario(SCENARIO)
    with Rehearsal(P1, network, start_at=scenario.start_at, forms_dir=FORMS) as rehearsal:
        rehearsal.play(scenario)
        [escalation] = rehearsal.session.scalars(select(Escalation)).all()
    due = QUESTIONING_OPENS + timedelta(hours=12)
    assert (escalation.level, escalation.target_code, escalation.target_agency_code) == (2, "committee_secretariat", "pmj_tak")
    assert timedelta(0) <= escalation.raised_at - due < timedelta(seconds=1)
    assert timedelta(0) <= escalation.level_changed_at - (due + timedelta(days=1)) < timedelta(seconds=1)
    assert escalation.agency_code == "police_tak" and escalation.status == "open"
