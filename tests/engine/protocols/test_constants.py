"""Constant parts of expressions, evaluated at lint under the runtime's limits (issue 9, item 17).

``'a'*10**9 == 'a'`` and ``9**9**9 > 0`` passed lint, then every case start failed.
"""
from __future__ import annotations

import pytest

from engine.errors import ProtocolInvalid
from engine.protocols import constants
from engine.protocols.constants import constant_parts
from engine.protocols.parsing import parse_protocol
from tests.bpmn_builders import condition, lint, one_task, with_timer


@pytest.mark.parametrize("expression", [
    "'a'*10**9 == 'a'",
    "9**9**9 &gt; 0",
    "risk &gt; 9**9**9",              # a constant part beside case data
    "risk == 1 or 1/0 == 1",
    "[x for x in 'a' * 10**6] == risk",
    "days(10**9) &gt; risk",           # beyond what a duration may be
    "now() &lt; days(1)",              # a date-time never compares with a duration
])
def test_a_condition_with_a_part_that_always_fails_is_refused_at_its_flow(network, expression):
    assert lint(condition(expression), network) == [("expression-fails", "risky")]


@pytest.mark.parametrize("expression", [
    "risk == 'high'",
    "risk &gt; 3 and len(notes) &lt; 2000",
    "any(c == 'h' for c in risk)",
    "risk.lower() in ['high', 'severe']",
    "now() + days(2) &gt; deadline",
    "2**10 &lt; count",
    "True",
])
def test_ordinary_conditions_over_task_variables_pass_until_a_failing_part_joins_them(network, expression):
    assert lint(condition(expression), network) == []
    assert lint(condition(f"({expression}) and 9**9**9 &gt; 0"), network) == [("expression-fails", "risky")]


def test_the_finding_quotes_the_part_and_the_reason_in_thai_and_english(network):
    with pytest.raises(ProtocolInvalid) as refused:
        parse_protocol(condition("risk &gt; 9**9**9"), network=network)
    [finding] = refused.value.findings
    assert "9 ** 9 ** 9" in finding.message_en and "too large" in finding.message_en
    assert "9 ** 9 ** 9" in finding.message_th and "ล้มเหลว" in finding.message_th


def test_a_timer_reading_case_data_has_its_constant_parts_checked_at_its_event(network):
    assert lint(with_timer("timeDuration", "days(extra) + hours(10**9)"), network) == [
        ("timer-unverifiable", "assess_deadline"), ("expression-fails", "assess_deadline"),
    ]


def test_a_wholly_constant_timer_is_left_to_the_timer_rule(network):
    assert lint(with_timer("timeDuration", "days(9**9**9)"), network) == [("timer-invalid", "assess_deadline")]


def test_a_multi_instance_cardinality_is_checked_at_its_activity(network):
    inner = "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>len('a' * 10**9)</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
    assert lint(one_task(inner=inner), network) == [("expression-fails", "assess")]


def test_a_message_payload_is_checked_at_its_event(network):
    payload = (
        '<bpmn:intermediateThrowEvent id="refer"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>'
        '<bpmn:messageEventDefinition id="refer_definition" messageRef="referral"><bpmn:extensionElements>'
        "<spiffworkflow:messagePayload>{'note': 'x' * 10**6}</spiffworkflow:messagePayload>"
        "</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>"
    )
    document = one_task(after=payload).replace(
        '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>',
    ).replace('targetRef="done"/>', 'targetRef="refer"/><bpmn:sequenceFlow id="f3" sourceRef="refer" targetRef="done"/>').replace(
        '<bpmn:process ', '<bpmn:message id="referral" name="refer_p9"/><bpmn:process ')
    findings = lint(document, network)
    assert ("expression-fails", "refer") in findings


def test_parts_are_the_largest_that_read_no_case_data():
    assert list(constant_parts("risk > 9**9**9 and len(notes) < 2 * 1000")) == ["9 ** 9 ** 9", "2 * 1000"]
    assert list(constant_parts("'a' * 10**9 == 'a'")) == ["'a' * 10 ** 9 == 'a'"]
    assert list(constant_parts("days(3) + hours(n)")) == ["days(3)"]
    assert list(constant_parts("risk == 'high'")) == []  # a lone literal cannot fail


def test_a_protocol_of_costly_constants_is_refused_when_lint_runs_out_of_time(network, monkeypatch):
    monkeypatch.setattr(constants, "LINT_EVALUATION_SECONDS", 0.0)
    with pytest.raises(ProtocolInvalid) as refused:
        parse_protocol(condition("risk &gt; 2**10"), network=network)
    [finding] = refused.value.findings
    assert (finding.code, finding.element_id) == ("expression-fails", "risky")
    assert "ran out of time" in finding.message_en
