"""Names and ids held to the database columns that store them (issue 9, item 12).

A task name of 256 characters published, then every POST /cases failed on PostgreSQL
(work_items.label is VARCHAR(255)); SQLite never noticed.
"""
from __future__ import annotations

import pytest

from engine.errors import ProtocolInvalid
from engine.protocols.parsing import parse_protocol
from tests.bpmn_builders import flow, lint, one_task, protocol, task, with_timer


def test_a_task_name_of_255_characters_passes_and_256_is_refused_at_the_task(network):
    assert lint(one_task(name="ก" * 255), network) == []
    assert lint(one_task(name="ก" * 256), network) == [("name-too-long", "assess")]


def test_the_finding_names_the_column_and_its_length(network):
    with pytest.raises(ProtocolInvalid) as refused:
        parse_protocol(one_task(name="ประเมิน" * 40), network=network)
    [finding] = refused.value.findings
    assert "work_items.label" in finding.message_en and "255" in finding.message_en and "280" in finding.message_en
    assert "work_items.label" in finding.message_th and "อักขระ" in finding.message_th


@pytest.mark.parametrize("make, element", [
    # The process: protocol_versions.name and process_id.
    (lambda: one_task(process_name="ก" * 256), "built_case"),
    # A boundary event's id becomes the source of the escalation it raises.
    (lambda: with_timer("timeDuration", "PT1H").replace("assess_deadline\"", "d" * 256 + "\"").replace(
        "sourceRef=\"assess_deadline\"", "sourceRef=\"" + "d" * 256 + "\""), "d" * 256),
    # A candidate group is a role code: work_items.candidate_role holds 64.
    (lambda: one_task(attributes=' camunda:candidateGroups="' + "r" * 65 + '"'), "assess"),
    (lambda: one_task(attributes=' camunda:formKey="' + "f" * 256 + '"'), "assess"),
])
def test_other_stored_values_are_held_to_their_columns(network, make, element):
    assert lint(make(), network) == [("name-too-long", element)]


def test_a_long_lane_name_is_refused_at_each_task_it_holds(network):
    document = one_task().replace('name="pmj_tak"', 'id="pmj_tak" name="' + "ช" * 256 + '"').replace('id="the_lane" ', "")
    assert lint(document, network) == [("name-too-long", "assess")]


def test_a_long_message_name_is_refused_at_the_event_that_sends_it(network):
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        + task("assess", "f1", "f2")
        + '<bpmn:endEvent id="refer"><bpmn:incoming>f2</bpmn:incoming><bpmn:messageEventDefinition messageRef="referral"/></bpmn:endEvent>'
        + flow("f1", "begin", "assess") + flow("f2", "assess", "refer")
    )
    message = '<bpmn:message id="referral" name="' + "m" * 256 + '"/>'
    findings = lint(protocol(body, tasks=["assess"], extra=message), network)
    assert ("name-too-long", "refer") in findings


def test_the_lengths_lint_holds_names_to_are_the_columns_lengths():
    """Lint lists the lengths (the columns live above protocols); the schema must agree with it."""
    import engine.models  # noqa: F401 - every table in the metadata
    from engine.db import Base
    from engine.protocols.columns import STORED_LENGTHS

    for name, length in STORED_LENGTHS.items():
        table, column = name.split(".")
        assert Base.metadata.tables[table].c[column].type.length == length, name
