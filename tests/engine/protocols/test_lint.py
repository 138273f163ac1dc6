"""The lint catalogue: one broken protocol per rule, and the finer points of the rules.

The corpus lives in ``tests/fixtures/lint/``: each file departs from ``clean.bpmn`` by one
defect, and its second line says which rule must fire and at which element.
"""
from __future__ import annotations

import dataclasses
import re

import pytest

from engine.errors import ProtocolInvalid
from engine.forms.catalogue import FormCatalogue, load_forms
from engine.people.actors import Actor
from engine.protocols.assignees import Account
from engine.protocols.findings import Finding, Severity
from engine.protocols.lint import RULES, escalation_findings, form_key_of
from engine.protocols.loading import load_bpmn
from engine.protocols.parsing import parse_protocol
from engine.settings import PROJECT_ROOT
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "lint"
FORMS = CORPUS / "forms"
CLEAN = (CORPUS / "clean.bpmn").read_text(encoding="utf-8")
REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")
THAI = re.compile("[\u0e00-\u0e7f]")
EXPECT = re.compile(r"<!-- expect: ([a-z-]+) at (\S+) -->")
# A corpus file may tighten the network's limits, to show a rule on a small file.
LIMITS = re.compile(r"<!-- limits: ((?:[a-z_]+=[0-9A-Z]+ ?)+) -->")
# A corpus file may name the messages the other protocols catch, so that a referral is known
# to reach someone and only the rule under test fires.
MESSAGES = re.compile(r"<!-- messages: ([a-z0-9_ ]+) -->")
# The accounts the corpus is linted against: a police officer and a social worker.
ACCOUNTS = {
    "worker.police_tak": Account(Actor(1, "worker.police_tak", "case_worker", "police_tak"), active=True),
    "worker.pmj_tak": Account(Actor(2, "worker.pmj_tak", "case_worker", "pmj_tak"), active=True),
    "supervisor.pmj_tak": Account(Actor(3, "supervisor.pmj_tak", "supervisor", "pmj_tak"), active=True),
    "policy": Account(Actor(4, "policy", "policy", None), active=True),
    "leaver.pmj_tak": Account(Actor(5, "leaver.pmj_tak", "case_worker", "pmj_tak"), active=False),
}


class WithEscalationCodes:
    """The network with a given set of escalation codes, whatever network.toml holds today."""

    def __init__(self, network, codes):
        self._network, self.escalation_codes = network, codes

    def __getattr__(self, name):
        return getattr(self._network, name)


@pytest.fixture(scope="module")
def forms() -> FormCatalogue:
    return load_forms(FORMS)


def lint(data, network, **options) -> list[Finding]:
    try:
        return parse_protocol(data, network=network, **options).findings
    except ProtocolInvalid as exc:
        return exc.findings


def found(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.code, f.element_id or None) for f in findings]


# -- the corpus ---------------------------------------------------------------------------------


def _too_large() -> bytes:
    return CLEAN.replace("<!-- expect", "<!-- " + "ก" * (3 * 1024 * 1024 // 3) + " -->\n<!-- expect").encode()


def _too_deep() -> bytes:
    nested = "<deep>" * 150 + "</deep>" * 150
    return CLEAN.replace('<bpmn:incoming>to_intake</bpmn:incoming>', f"<bpmn:extensionElements>{nested}</bpmn:extensionElements><bpmn:incoming>to_intake</bpmn:incoming>").encode()


# Rules whose broken example is bytes, not a readable file.
INLINE = {
    "too-large": (_too_large, None),
    "encoding": (lambda: CLEAN.encode("utf-16"), None),
    "too-deep": (_too_deep, "intake"),
}


def corpus_case(code: str) -> tuple[bytes, str | None]:
    if code in INLINE:
        make, element = INLINE[code]
        return make(), element
    data = (CORPUS / f"{code}.bpmn").read_bytes()
    expected_code, element = EXPECT.search(data.decode("utf-8")).groups()
    assert expected_code == code
    return data, None if element == "-" else element


def limited(network, data: bytes):
    """The network, with the limits a corpus file declares."""
    declared = LIMITS.search(data.decode("utf-8", "replace"))
    if declared is None:
        return network
    changes = dict(pair.split("=") for pair in declared.group(1).split())
    typed = {key: int(value) if value.isdigit() else value for key, value in changes.items()}
    return dataclasses.replace(network, limits=dataclasses.replace(network.limits, **typed))


def catalogue(data: bytes) -> dict[str, set[str]]:
    declared = MESSAGES.search(data.decode("utf-8", "replace"))
    return {} if declared is None else {"known_messages": set(declared.group(1).split())}


@pytest.mark.parametrize("code", sorted(RULES))
def test_each_rule_fires_alone_with_its_code_and_element(network, forms, code):
    data, element = corpus_case(code)
    findings = lint(data, limited(network, data), forms=forms, accounts=ACCOUNTS.get, **catalogue(data))
    assert found(findings) == [(code, element)]
    finding = findings[0]
    assert finding.severity is RULES[code].severity
    assert THAI.search(finding.message_th) and finding.message_en.strip()


# Refused by the loader; their Thai is a sentence of its own, not a prefix on the English one.
LOADER_CODES = (
    "too-large", "encoding", "doctype", "xml-syntax", "too-deep", "not-bpmn", "forbidden-element",
    "forbidden-expression", "invalid-timer",
)


@pytest.mark.parametrize("code", LOADER_CODES)
def test_refusals_are_explained_in_thai_sentences(network, forms, code):
    data, _ = corpus_case(code)
    [finding] = lint(data, network, forms=forms)
    assert finding.message_en not in finding.message_th
    # Quoted details (a validator's own words, a namespace URL) are left as they are.
    prose = re.sub(r"\([^)]*\)|\{[^}]*\}", "", finding.message_th)
    english_words = re.findall(r"\b(?:is|the|not|and|or|use|give|which|would)\b", prose)
    assert english_words == [], finding.message_th


def test_the_corpus_holds_one_file_per_rule_and_nothing_else():
    files = {path.stem for path in CORPUS.glob("*.bpmn")}
    assert files == (set(RULES) - set(INLINE)) | {"clean"}


def test_the_clean_base_lints_clean_with_every_catalogue(network, forms):
    assert lint(CLEAN, WithEscalationCodes(network, {}), forms=forms, known_messages=set(), accounts=ACCOUNTS.get) == []


def test_errors_refuse_the_protocol_and_warnings_travel_with_it(network, forms):
    with pytest.raises(ProtocolInvalid):
        parse_protocol((CORPUS / "dead-end.bpmn").read_bytes(), network=network, forms=forms)
    parsed = parse_protocol((CORPUS / "timer-unverifiable.bpmn").read_bytes(), network=network, forms=forms)
    assert found(parsed.findings) == [("timer-unverifiable", "assess_deadline")]


def test_form_rules_are_skipped_without_a_catalogue(network):
    for code in ("form-missing", "form-unknown", "gateway-field-unknown"):
        assert lint((CORPUS / f"{code}.bpmn").read_bytes(), network) == []


def test_rules_are_documented_in_the_protocols_readme():
    readme = (PROJECT_ROOT / "protocols" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z-]+)` \| ([^|]+?) \|", readme, re.MULTILINE)
    assert {code for code, _ in rows} == set(RULES)
    for code, severity in rows:
        assert severity.startswith(RULES[code].severity.value), code
    assert "## Timers and their legal basis" in readme


# -- the reference protocol ---------------------------------------------------------------------


def test_reference_protocol_lints_clean_without_catalogues(network):
    assert lint(REFERENCE, network) == []


def test_reference_protocol_lints_clean_with_forms(network, forms):
    assert lint(REFERENCE, WithEscalationCodes(network, {}), forms=forms, known_messages=set()) == []
    # Without a form key, a task is refused once forms are checked.
    unnamed = REFERENCE.replace(' camunda:formKey="note_form">', ">", 1)
    assert found(lint(unnamed, network, forms=forms, known_messages=set())) == [("form-missing", "follow_up")]


# -- gateway fields -----------------------------------------------------------------------------


def with_condition(expression: str) -> str:
    return CLEAN.replace("severity == 'high'", expression)


@pytest.mark.parametrize("expression", [
    "len(severity) > 3 and child_age &lt; days(1).days",    # vetted functions are not fields
    "any(c == 'h' for c in severity)",                      # comprehension variables are not fields
    "severity.lower() == 'high'",                           # a method of a field reads the field only
])
def test_condition_reading_only_earlier_fields_and_functions_passes(network, forms, expression):
    assert lint(with_condition(expression), network, forms=forms) == []


def test_unknown_field_finding_names_the_field_the_gateway_and_what_the_forms_ask(network, forms):
    findings = lint(with_condition("severity == 'high' or weapon_seen or plan"), network, forms=forms)
    assert found(findings) == [("gateway-field-unknown", "to_assess")]
    # 'plan' exists, but only in a form that comes after the gateway.
    assert "plan, weapon_seen" in findings[0].message_en
    assert "decide" in findings[0].message_en and "child_age, severity" in findings[0].message_en
    assert "weapon_seen" in findings[0].message_th


def test_a_deadline_path_sees_the_forms_before_its_task_but_not_the_task_itself(network, forms):
    deadline = (
        '<bpmn:boundaryEvent id="late" attachedToRef="assess" cancelActivity="false"><bpmn:outgoing>to_check</bpmn:outgoing>'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>PT24H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        '<bpmn:exclusiveGateway id="check" default="to_quiet"><bpmn:incoming>to_check</bpmn:incoming>'
        '<bpmn:outgoing>to_loud</bpmn:outgoing><bpmn:outgoing>to_quiet</bpmn:outgoing></bpmn:exclusiveGateway>'
        '<bpmn:endEvent id="loud"><bpmn:incoming>to_loud</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:endEvent id="quiet"><bpmn:incoming>to_quiet</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="to_check" sourceRef="late" targetRef="check"/>'
        '<bpmn:sequenceFlow id="to_loud" sourceRef="check" targetRef="loud"><bpmn:conditionExpression>CONDITION</bpmn:conditionExpression></bpmn:sequenceFlow>'
        '<bpmn:sequenceFlow id="to_quiet" sourceRef="check" targetRef="quiet"/>'
    )
    document = CLEAN.replace("</bpmn:process>", deadline + "</bpmn:process>").replace(
        "<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>assess</bpmn:flowNodeRef><bpmn:flowNodeRef>late</bpmn:flowNodeRef>",
    )
    assert lint(document.replace("CONDITION", "child_age &lt; 12"), network, forms=forms) == []
    # The assessment is still open when its deadline passes: its 'plan' is not there yet.
    assert found(lint(document.replace("CONDITION", "plan == 'x'"), network, forms=forms)) == [
        ("gateway-field-unknown", "to_loud"),
    ]


def test_a_condition_inside_a_subprocess_sees_the_forms_before_the_subprocess(network, forms):
    inner = (
        '<bpmn:subProcess id="visits" name="เยี่ยม"><bpmn:incoming>to_assess</bpmn:incoming><bpmn:outgoing>to_done_assessed</bpmn:outgoing>'
        '<bpmn:startEvent id="v_begin"><bpmn:outgoing>v1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:exclusiveGateway id="v_check" default="v3"><bpmn:incoming>v1</bpmn:incoming><bpmn:outgoing>v2</bpmn:outgoing><bpmn:outgoing>v3</bpmn:outgoing></bpmn:exclusiveGateway>'
        '<bpmn:endEvent id="v_end"><bpmn:incoming>v2</bpmn:incoming><bpmn:incoming>v3</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="v1" sourceRef="v_begin" targetRef="v_check"/>'
        '<bpmn:sequenceFlow id="v2" sourceRef="v_check" targetRef="v_end"><bpmn:conditionExpression>FIELD == 1</bpmn:conditionExpression></bpmn:sequenceFlow>'
        '<bpmn:sequenceFlow id="v3" sourceRef="v_check" targetRef="v_end"/>'
        "</bpmn:subProcess>"
    )
    start = CLEAN.index('<bpmn:userTask id="assess"')
    end = CLEAN.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    document = (CLEAN[:start] + inner + CLEAN[end:]).replace(
        'targetRef="assess"', 'targetRef="visits"').replace('sourceRef="assess"', 'sourceRef="visits"').replace(
        "<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>visits</bpmn:flowNodeRef>")
    assert lint(document.replace("FIELD", "child_age"), network, forms=forms) == []
    assert found(lint(document.replace("FIELD", "plan"), network, forms=forms)) == [("gateway-field-unknown", "v2")]


def test_a_start_event_form_provides_fields(network, forms):
    document = with_condition("severity == 'high' and note == 'x'")
    assert found(lint(document, network, forms=forms)) == [("gateway-field-unknown", "to_assess")]
    with_start_form = document.replace('<bpmn:startEvent id="begin">', '<bpmn:startEvent id="begin" camunda:formKey="file_note">')
    assert lint(with_start_form, network, forms=forms) == []


def test_gateway_with_a_condition_on_every_flow_needs_no_default(network, forms):
    document = CLEAN.replace(' default="to_file"', "").replace(
        '<bpmn:sequenceFlow id="to_file" sourceRef="decide" targetRef="file"/>',
        '<bpmn:sequenceFlow id="to_file" sourceRef="decide" targetRef="file"><bpmn:conditionExpression>severity != \'high\'</bpmn:conditionExpression></bpmn:sequenceFlow>',
    )
    assert lint(document, network, forms=forms) == []


# -- reachability -------------------------------------------------------------------------------


def test_event_subprocess_and_non_executable_pools_are_not_unreachable(network):
    event_subprocess = (
        '<bpmn:subProcess id="on_alert" triggeredByEvent="true">'
        '<bpmn:startEvent id="alert_begin" isInterrupting="false"><bpmn:outgoing>a1</bpmn:outgoing>'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>P7D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>'
        '<bpmn:endEvent id="alert_end"><bpmn:incoming>a1</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="a1" sourceRef="alert_begin" targetRef="alert_end"/></bpmn:subProcess>'
    )
    pool = '<bpmn:process id="partner" isExecutable="false"><bpmn:task id="partner_work"/></bpmn:process>'
    document = CLEAN.replace("</bpmn:process>", event_subprocess + "</bpmn:process>" + pool, 1)
    assert lint(document, network) == []


def test_an_element_that_is_both_unreachable_and_stuck_is_reported_once_as_unreachable(network):
    orphan = '<bpmn:userTask id="orphan" name="ลอย"/>'
    document = CLEAN.replace("</bpmn:process>", orphan + "</bpmn:process>").replace(
        "<bpmn:flowNodeRef>file</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>file</bpmn:flowNodeRef><bpmn:flowNodeRef>orphan</bpmn:flowNodeRef>")
    assert found(lint(document, network)) == [("unreachable", "orphan")]


# -- timers -------------------------------------------------------------------------------------


def with_deadline(kind: str, text: str) -> str:
    return (CORPUS / "timer-invalid.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:timeDuration>hours(-1)</bpmn:timeDuration>", f"<bpmn:{kind}>{text}</bpmn:{kind}>"
    )


@pytest.mark.parametrize("kind, text", [
    ("timeDuration", "days(3)"),
    ("timeDuration", "hours(36) + minutes(30)"),
    ("timeDuration", '"P3D"'),
    ("timeDuration", "PT24H"),
    ("timeDate", "now() + days(2)"),
    ("timeDate", '"2026-12-01T09:00:00+07:00"'),
    ("timeCycle", '"R3/PT1H"'),
])
def test_timer_expressions_that_give_iso_8601_pass(network, kind, text):
    assert lint(with_deadline(kind, text), network) == []


@pytest.mark.parametrize("kind, text, complaint", [
    ("timeDuration", "'24 hours'", "ISO 8601 duration"),
    ("timeDuration", "24", "int"),
    ("timeDuration", "hours(-1)", "negative"),
    ("timeDuration", "now()", "duration"),
    ("timeDate", "days(2)", "date-time"),
    ("timeCycle", "'R3'", "repeating"),
])
def test_timer_expressions_that_do_not_give_iso_8601_are_errors(network, kind, text, complaint):
    findings = lint(with_deadline(kind, text), network)
    assert found(findings) == [("timer-invalid", "assess_deadline")]
    assert complaint in findings[0].message_en


def test_a_timer_reading_case_data_is_only_a_warning_naming_the_data(network):
    parsed = parse_protocol(with_deadline("timeDuration", "days(extra_days) + hours(base_hours)"), network=network)
    assert found(parsed.findings) == [("timer-unverifiable", "assess_deadline")]
    assert "base_hours, extra_days" in parsed.findings[0].message_en
    assert parsed.findings[0].severity is Severity.WARNING


# -- messages and escalations -------------------------------------------------------------------


MESSAGE = (CORPUS / "message-uncaught.bpmn").read_text(encoding="utf-8")


def test_an_uncaught_message_is_a_warning_alone_and_an_error_against_a_catalogue(network):
    parsed = parse_protocol(MESSAGE, network=network)
    assert [(f.code, f.severity) for f in parsed.findings] == [("message-uncaught", Severity.WARNING)]
    assert "refer_p9" in parsed.findings[0].message_en
    assert parse_protocol(MESSAGE, network=network, known_messages={"refer_p9"}).findings == []
    with pytest.raises(ProtocolInvalid) as refused:
        parse_protocol(MESSAGE, network=network, known_messages={"refer_p1"})
    assert [(f.code, f.severity) for f in refused.value.findings] == [("message-uncaught", Severity.ERROR)]


def test_a_message_caught_in_the_same_protocol_needs_no_catalogue(network):
    catcher = (
        '<bpmn:subProcess id="on_referral" triggeredByEvent="true">'
        '<bpmn:startEvent id="referral_in" isInterrupting="false"><bpmn:outgoing>r1</bpmn:outgoing>'
        '<bpmn:messageEventDefinition messageRef="refer_p9_message"/></bpmn:startEvent>'
        '<bpmn:endEvent id="referral_done"><bpmn:incoming>r1</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="r1" sourceRef="referral_in" targetRef="referral_done"/></bpmn:subProcess>'
    )
    document = MESSAGE.replace("</bpmn:process>", catcher + "</bpmn:process>")
    assert parse_protocol(document, network=network, known_messages=set()).findings == []


ESCALATION = (CORPUS / "escalation-code-unknown.bpmn").read_text(encoding="utf-8")


def test_an_escalation_code_the_network_routes_passes(network):
    assert lint(ESCALATION, WithEscalationCodes(network, {"no_such_code": object()})) == []
    findings = lint(ESCALATION, WithEscalationCodes(network, {"child_in_danger": object()}))
    assert found(findings) == [("escalation-code-unknown", "notify")]
    assert "no_such_code" in findings[0].message_en and "child_in_danger" in findings[0].message_en


def test_a_network_without_escalation_codes_knows_none(network):
    # Before the network definition had codes at all, every code was unknown.
    findings = escalation_findings(load_bpmn(ESCALATION), object())
    assert found(findings) == [("escalation-code-unknown", "notify")]


def test_a_thrown_escalation_needs_a_code_but_a_catch_all_boundary_does_not(network):
    codeless = ESCALATION.replace(' escalationCode="no_such_code"', "")
    assert found(lint(codeless, WithEscalationCodes(network, {"x": 1}))) == [("escalation-code-unknown", "notify")]
    catch_all = (
        '<bpmn:boundaryEvent id="heard" attachedToRef="file" cancelActivity="false">'
        '<bpmn:escalationEventDefinition/></bpmn:boundaryEvent>'
    )
    document = CLEAN.replace("</bpmn:process>", catch_all + "</bpmn:process>").replace(
        "<bpmn:flowNodeRef>file</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>file</bpmn:flowNodeRef><bpmn:flowNodeRef>heard</bpmn:flowNodeRef>")
    assert lint(document, WithEscalationCodes(network, {})) == []


# -- form keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("attributes, extensions, expected", [
    (' camunda:formKey="camunda_form"', "", "camunda_form"),
    ("", '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="spiff.schema.json"/></spiffworkflow:properties>', "spiff.schema.json"),
    (' camunda:formKey="camunda_form"', '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="spiff_wins"/></spiffworkflow:properties>', "spiff_wins"),
    ("", '<camunda:properties><camunda:property name="formKey" value="from_property"/></camunda:properties>', "from_property"),
    ("", "", None),
])
def test_lint_reads_form_keys_exactly_as_the_runtime_does(network, attributes, extensions, expected):
    extension_xml = f"<bpmn:extensionElements>{extensions}</bpmn:extensionElements>" if extensions else ""
    document = CLEAN.replace(' camunda:formKey="file_note">', f"{attributes}>{extension_xml}")
    parsed = parse_protocol(document, network=network)
    element = load_bpmn(document).getroot().find(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask[@id='file']")
    assert parsed.user_tasks["file"].form_key == expected == form_key_of(element)


def test_form_key_lookup_ignores_the_suffix(network):
    catalogue = FormCatalogue.of({"intake.schema.json": {"properties": {"severity": {}, "child_age": {}}},
                                  "assess": {"properties": {"plan": {}}}, "file_note.json": {}})
    document = CLEAN.replace('camunda:formKey="intake"', 'camunda:formKey="intake.json"').replace(
        'camunda:formKey="assess"', 'camunda:formKey="assess.schema.json"')
    assert lint(document, network, forms=catalogue) == []


def test_findings_carry_the_source_line(network, forms):
    data = (CORPUS / "gateway-no-default.bpmn").read_text(encoding="utf-8")
    line = next(n for n, text in enumerate(data.splitlines(), 1) if '<bpmn:exclusiveGateway id="decide"' in text)
    assert lint(data, network, forms=forms)[0].line == line


def test_the_catalogue_is_complete_and_coded_consistently():
    assert all(rule.code == code and THAI.search(rule.title_th) for code, rule in RULES.items())
    assert {code for code, rule in RULES.items() if rule.severity is Severity.WARNING} == {
        "timer-unverifiable", "message-uncaught", "loop-back-edge", "multi-instance-unverifiable",
        "assignee-unknown", "thai-spacing", "glossary-term",
    }
