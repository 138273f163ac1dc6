"""The protocol library as listed for policy staff, and rehearsal from TOML text with stored forms."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput, NotFound
from engine.forms.catalogue import FormCatalogue, load_forms
from engine.protocols import service as protocols
from engine.protocols.library import protocol_summaries, protocol_summary
from engine.rehearsal import ScenarioFailed, library_scenarios, rehearse_text
from engine.settings import PROJECT_ROOT

P1 = PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn"
SCENARIOS = PROJECT_ROOT / "protocols" / "scenarios"


def test_summaries_group_versions_and_tell_published_from_drafts(session, network, clock, people):
    forms = load_forms(PROJECT_ROOT / "forms")
    first, _ = protocols.store_draft(session=session, key="p1_abuse_report", bpmn=P1.read_bytes(), network=network,
                                     clock=clock, actor=people["policy"], forms=forms)
    protocols.publish(session=session, key="p1_abuse_report", version=1, clock=clock, actor=people["policy"])
    renamed = P1.read_text(encoding="utf-8").replace('name="ถามปากคำเด็กโดยสหวิชาชีพ"', 'name="สอบปากคำเด็ก"')
    protocols.store_draft(session=session, key="p1_abuse_report", bpmn=renamed, network=network, clock=clock,
                          actor=people["policy"], forms=forms)
    [summary] = protocol_summaries(session=session)
    assert summary.published_version == 1 and summary.latest.version == 2
    assert [v.version for v in summary.drafts] == [2]
    assert protocol_summary(session=session, key="p1_abuse_report").name == first.name
    with pytest.raises(NotFound):
        protocol_summary(session=session, key="p9_nothing")


def test_library_scenarios_are_those_named_after_the_protocol_number():
    assert [s.name for s in library_scenarios(SCENARIOS, "p1_abuse_report")] == ["p1_custody_overrun"]
    assert library_scenarios(SCENARIOS, "p2_student_screening") == []
    assert library_scenarios(SCENARIOS / "missing", "p1_abuse_report") == []


def test_a_scenario_text_rehearses_against_the_forms_given(network):
    text = (SCENARIOS / "p1_custody_overrun.toml").read_text(encoding="utf-8")
    timeline = rehearse_text(P1.read_bytes(), network=network, scenario_text=text, forms=load_forms(PROJECT_ROOT / "forms"))
    questioning = next(row for row in timeline.rows if row.task == "question_child")
    # The warning reached the office's supervisors; at the s.30(2) limit the deadline climbed to
    # level 2, the committee secretariat, and the thrown statutory_limit alarm went there too.
    assert [(e["source"], e["reason"], e["level"], e["target"]) for e in questioning.escalations] == [
        ("question_child_warning", "overdue", 1, "agency_supervisors"),
        ("question_child_limit", "overdue", 2, "committee_secretariat"),
        ("end_custody_limit", "thrown", 1, "committee_secretariat"),
    ]
    # With a form that forbids what the scenario enters, the completion is refused as it would be for real.
    import copy

    strict = copy.deepcopy(dict(load_forms(PROJECT_ROOT / "forms").schemas))
    strict["p1_triage"]["properties"]["risk_level"]["enum"] = ["low"]
    with pytest.raises(ScenarioFailed) as failed:
        rehearse_text(P1.read_bytes(), network=network, scenario_text=text, forms=FormCatalogue(strict))
    assert failed.value.step == 2


def test_a_scenario_that_is_not_toml_is_invalid_input(network):
    with pytest.raises(InvalidInput):
        rehearse_text(P1.read_bytes(), network=network, scenario_text="[start", forms=FormCatalogue({}))
