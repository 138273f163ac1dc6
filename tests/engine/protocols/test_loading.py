"""Uploaded BPMN is parsed with a hardened parser and refused when it is dangerous."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.protocols.loading import (
    BPMN_NS,
    CAMUNDA_NS,
    MAX_BPMN_BYTES,
    MAX_ELEMENT_DEPTH,
    SPIFF_NS,
    ProtocolRejected,
    load_bpmn,
)

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}
PROCESS_ID = "case_proc"


def definitions(body: str, *, process_id: str = PROCESS_ID, prolog: str = "") -> str:
    """A BPMN document whose single process contains ``body``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{prolog}"
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="{SPIFF_NS}"\n'
        f'    xmlns:camunda="{CAMUNDA_NS}" xmlns:xsi="{XSI_NS}"\n'
        '    id="Definitions_1" targetNamespace="http://khumkrong.example/bpmn">\n'
        f'  <bpmn:process id="{process_id}" isExecutable="true">\n'
        f"{body}\n"
        "  </bpmn:process>\n"
        "</bpmn:definitions>\n"
    )


def rejected(data: bytes | str) -> ProtocolRejected:
    with pytest.raises(ProtocolRejected) as info:
        load_bpmn(data)
    return info.value


def spiff_spec(tree: etree._ElementTree):
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(tree, filename="t.bpmn")
    return parser.get_spec(PROCESS_ID)


def texts(tree: etree._ElementTree, xpath: str) -> list[str]:
    return [el.text for el in tree.xpath(xpath, namespaces=NS)]


# Ids avoid "Start" and "End": SpiffWorkflow gives those names to its own implicit task specs.
# A referral assessment: a user task with a 24-hour reminder deadline, then a risk gateway.
VALID_BODY = """
    <bpmn:startEvent id="Begin"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Begin" targetRef="Assess" />
    <bpmn:userTask id="Assess" name="ประเมินความเสี่ยง (assess risk)">
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Deadline" attachedToRef="Assess">
      <bpmn:outgoing>Flow_late</bpmn:outgoing>
      <bpmn:timerEventDefinition id="DeadlineTimer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT24H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_late" sourceRef="Deadline" targetRef="EndLate" />
    <bpmn:endEvent id="EndLate"><bpmn:incoming>Flow_late</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Assess" targetRef="Risk" />
    <bpmn:exclusiveGateway id="Risk" default="Flow_low">
      <bpmn:incoming>Flow_2</bpmn:incoming>
      <bpmn:outgoing>Flow_high</bpmn:outgoing>
      <bpmn:outgoing>Flow_low</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_high" sourceRef="Risk" targetRef="EndHigh">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">risk_level == 'high'</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_low" sourceRef="Risk" targetRef="EndLow" />
    <bpmn:endEvent id="EndHigh"><bpmn:incoming>Flow_high</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="EndLow"><bpmn:incoming>Flow_low</bpmn:incoming></bpmn:endEvent>
"""


def timer_body(kind: str, text: str) -> str:
    """start -> intermediate timer (timeDuration / timeDate / timeCycle) -> end."""
    return f"""
    <bpmn:startEvent id="Begin"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Begin" targetRef="Wait" />
    <bpmn:intermediateCatchEvent id="Wait">
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="WaitTimer"><bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Wait" targetRef="Done" />
    <bpmn:endEvent id="Done"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
"""


def gateway_body(condition: str) -> str:
    return f"""
    <bpmn:startEvent id="Begin"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Begin" targetRef="Gate" />
    <bpmn:exclusiveGateway id="Gate" default="Flow_else">
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_evil</bpmn:outgoing>
      <bpmn:outgoing>Flow_else</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_evil" sourceRef="Gate" targetRef="Done">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_else" sourceRef="Gate" targetRef="Done" />
    <bpmn:endEvent id="Done"><bpmn:incoming>Flow_evil</bpmn:incoming><bpmn:incoming>Flow_else</bpmn:incoming></bpmn:endEvent>
"""


def nested(depth: int) -> str:
    """A document whose deepest element sits ``depth`` levels down (the root is level 1)."""
    inner = depth - 1
    return definitions("<a>" * (inner - 1) + "</a>" * (inner - 1))


# --- accepted models ------------------------------------------------------------------------


def test_valid_model_is_accepted_quoted_and_parsed_by_spiffworkflow():
    tree = load_bpmn(definitions(VALID_BODY))

    assert isinstance(tree, etree._ElementTree)
    assert texts(tree, "//bpmn:timeDuration") == ['"PT24H"']
    assert texts(tree, "//bpmn:conditionExpression") == ["risk_level == 'high'"]
    spec = spiff_spec(tree)
    assert spec.task_specs["Assess"].bpmn_name == "ประเมินความเสี่ยง (assess risk)"

    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    workflow.refresh_timers()
    due = [
        event
        for event in workflow.waiting_events()
        if event.event_type == "DurationTimerEventDefinition"
    ]
    assert len(due) == 1 and due[0].value  # SpiffWorkflow evaluated "PT24H" to a due time


def test_str_and_bytes_give_the_same_result():
    text = definitions(VALID_BODY)
    assert etree.tostring(load_bpmn(text)) == etree.tostring(load_bpmn(text.encode("utf-8")))


def test_utf8_bom_is_accepted():
    tree = load_bpmn(b"\xef\xbb\xbf" + definitions(VALID_BODY).encode("utf-8"))
    assert tree.getroot().tag == f"{{{BPMN_NS}}}definitions"


@pytest.mark.parametrize(
    ("kind", "literal"),
    [
        ("timeDuration", "PT24H"),
        ("timeDuration", "P3D"),
        ("timeDuration", "P1DT12H"),
        ("timeDuration", "PT1.5S"),
        ("timeDuration", "P2W"),
        ("timeDate", "2026-12-01T09:00:00+07:00"),
        ("timeDate", "2026-12-01T02:00:00Z"),
        ("timeCycle", "R3/PT1H"),
        ("timeCycle", "R/P1D"),
        ("timeCycle", "R2/2026-12-01T09:00:00+07:00/PT1H"),
    ],
)
def test_iso_timer_literals_are_quoted_and_run_in_spiffworkflow(kind, literal):
    tree = load_bpmn(definitions(timer_body(kind, f"\n   {literal}  ")))

    assert texts(tree, f"//bpmn:{kind}") == [f'"{literal}"']
    workflow = BpmnWorkflow(spiff_spec(tree))
    workflow.do_engine_steps()
    workflow.refresh_timers()  # evaluates the quoted literal and parses it, as the scheduler will


@pytest.mark.parametrize("expression", ["days(3)", '"PT1H"', "deadline", "sla_duration"])
def test_timer_expressions_are_left_unchanged(expression):
    tree = load_bpmn(definitions(timer_body("timeDuration", expression)))
    assert texts(tree, "//bpmn:timeDuration") == [expression]


def test_depth_at_the_limit_is_accepted():
    tree = load_bpmn(nested(MAX_ELEMENT_DEPTH))
    assert tree.getroot() is not None


# --- entity, DTD and resource attacks -------------------------------------------------------


def test_xxe_reading_etc_passwd_is_refused_without_leaking_the_file():
    doc = definitions(
        "<bpmn:userTask id='Leak'><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:userTask>",
        prolog='<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
    )
    error = rejected(doc)

    assert error.code == "doctype"
    assert "DOCTYPE" in error.message
    passwd = Path("/etc/passwd")
    if passwd.exists():
        first_line = passwd.read_text(errors="replace").splitlines()[0]
        assert first_line not in error.message
        assert first_line not in repr(error)


def test_billion_laughs_is_refused():
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    doc = definitions(
        "<bpmn:userTask id='Boom'><bpmn:documentation>&lol9;</bpmn:documentation></bpmn:userTask>",
        prolog="<!DOCTYPE lolz [" + "".join(entities) + "]>\n",
    )
    started = time.perf_counter()
    error = rejected(doc)
    assert error.code == "doctype"
    assert time.perf_counter() - started < 1


def test_external_dtd_is_refused():
    doc = definitions(
        VALID_BODY, prolog='<!DOCTYPE bpmn:definitions SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
    )
    error = rejected(doc)
    assert error.code == "doctype"
    assert error.line == 2


def test_doctype_is_refused_whatever_its_case():
    assert rejected(definitions(VALID_BODY, prolog="<!doctype x>\n")).code == "doctype"


def test_utf16_document_is_refused_so_a_doctype_cannot_hide():
    doc = definitions(VALID_BODY, prolog="<!DOCTYPE x>\n").replace("UTF-8", "UTF-16")
    error = rejected(doc.encode("utf-16"))
    assert error.code == "encoding"
    assert "UTF-8" in error.message


def test_non_utf8_declared_encoding_is_refused():
    doc = definitions(VALID_BODY).replace("UTF-8", "ISO-8859-1")
    error = rejected(doc)
    assert error.code == "encoding"
    assert "ISO-8859-1" in error.message


def test_five_megabyte_upload_is_refused_before_parsing():
    huge = definitions(
        "<bpmn:userTask id='Big'><bpmn:documentation>" + "x" * (5 * 1024 * 1024)
        + "</bpmn:documentation></bpmn:userTask>"
    ).encode("utf-8")
    started = time.perf_counter()
    error = rejected(huge)
    elapsed = time.perf_counter() - started

    assert error.code == "too-large"
    assert f"{len(huge):,}" in error.message
    assert f"{MAX_BPMN_BYTES:,}" in error.message
    assert elapsed < 0.5


def test_ten_thousand_deep_nesting_is_refused():
    doc = nested(10_000)
    assert len(doc.encode("utf-8")) < 200_000
    error = rejected(doc)
    assert error.code == "too-deep"
    assert str(MAX_ELEMENT_DEPTH) in error.message


def test_one_hundred_and_fifty_deep_nesting_is_refused():
    error = rejected(nested(150))
    assert error.code == "too-deep"
    assert str(MAX_ELEMENT_DEPTH) in error.message
    assert error.line is not None


def test_one_past_the_depth_limit_is_refused():
    assert rejected(nested(MAX_ELEMENT_DEPTH + 1)).code == "too-deep"


# --- not BPMN -------------------------------------------------------------------------------


def test_malformed_xml_is_refused_with_lxml_message_and_line():
    doc = definitions("<bpmn:userTask id='Broken'>\n<bpmn:incoming>Flow_1</bpmn:userTask>")
    error = rejected(doc)
    assert error.code == "xml-syntax"
    assert "not well-formed" in error.message
    assert "mismatch" in error.message
    assert error.line == 7


def test_empty_upload_is_refused_as_xml_syntax():
    assert rejected(b"").code == "xml-syntax"


def test_non_bpmn_root_is_refused():
    error = rejected(
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d"/>'
    )
    assert error.code == "not-bpmn"
    assert "bpmn:definitions" in error.message


def test_bpmn_element_as_root_is_still_not_a_model():
    error = rejected(f'<bpmn:process xmlns:bpmn="{BPMN_NS}" id="p"/>')
    assert error.code == "not-bpmn"
    assert "process" in error.message


# --- elements that run code -----------------------------------------------------------------


def assert_forbidden(body: str, element_id: str, *fragments: str) -> ProtocolRejected:
    error = rejected(definitions(body))
    assert error.code == "forbidden-element"
    assert error.element_id == element_id
    assert "is not allowed" in error.message
    for fragment in fragments:
        assert fragment in error.message
    assert error.line is not None and error.line > 1
    return error


def test_script_task_is_refused():
    assert_forbidden(
        "<bpmn:scriptTask id='Task_1'><bpmn:script>import os</bpmn:script></bpmn:scriptTask>",
        "Task_1",
        "scriptTask 'Task_1' is not allowed",
        "Python",
    )


def test_service_task_is_refused():
    assert_forbidden(
        "<bpmn:serviceTask id='Notify_police' />", "Notify_police", "serviceTask 'Notify_police'"
    )


@pytest.mark.parametrize("which", ["preScript", "postScript"])
def test_spiff_pre_and_post_scripts_are_refused(which):
    body = (
        "<bpmn:userTask id='Task_scripted'><bpmn:extensionElements>"
        f"<spiffworkflow:{which}>import os</spiffworkflow:{which}>"
        "</bpmn:extensionElements></bpmn:userTask>"
    )
    assert_forbidden(body, "Task_scripted", f"spiffworkflow:{which} in userTask 'Task_scripted'")


def test_spiff_service_task_operator_is_refused():
    body = (
        "<bpmn:userTask id='Task_op'><bpmn:extensionElements>"
        "<spiffworkflow:serviceTaskOperator id='http/GetRequest' />"
        "</bpmn:extensionElements></bpmn:userTask>"
    )
    # The operator has an id of its own, but no shape: the task that holds it is named.
    assert_forbidden(body, "Task_op", "spiffworkflow:serviceTaskOperator in userTask 'Task_op'")


def test_camunda_task_listener_with_script_is_refused():
    body = (
        "<bpmn:userTask id='Task_cam'><bpmn:extensionElements>"
        "<camunda:taskListener event='create'>"
        "<camunda:script scriptFormat='groovy'>Runtime.getRuntime().exec('id')</camunda:script>"
        "</camunda:taskListener></bpmn:extensionElements></bpmn:userTask>"
    )
    assert_forbidden(body, "Task_cam", "camunda:taskListener in userTask 'Task_cam'", "Camunda listeners")


def test_camunda_execution_listener_is_refused():
    body = (
        "<bpmn:userTask id='Task_exec'><bpmn:extensionElements>"
        "<camunda:executionListener class='org.example.Evil' event='start' />"
        "</bpmn:extensionElements></bpmn:userTask>"
    )
    assert_forbidden(body, "Task_exec", "camunda:executionListener")


def test_script_in_any_other_namespace_is_refused():
    body = (
        "<bpmn:userTask id='Task_other'><bpmn:extensionElements>"
        "<acme:script xmlns:acme='urn:acme:bpmn'>rm -rf /</acme:script>"
        "</bpmn:extensionElements></bpmn:userTask>"
    )
    assert_forbidden(body, "Task_other", "acme:script in userTask 'Task_other'")


# --- expressions ----------------------------------------------------------------------------


def assert_forbidden_expression(doc: str, element_id: str) -> ProtocolRejected:
    error = rejected(doc)
    assert error.code == "forbidden-expression"
    assert error.element_id == element_id
    assert f"'{element_id}'" in error.message
    assert "is not an allowed expression" in error.message
    return error


def test_gateway_condition_importing_os_is_refused():
    doc = definitions(gateway_body("__import__('os').system('id')"))
    error = assert_forbidden_expression(doc, "Flow_evil")
    assert "conditionExpression" in error.message


def test_gateway_condition_walking_subclasses_is_refused():
    condition = "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen']"
    assert_forbidden_expression(definitions(gateway_body(condition)), "Flow_evil")


def test_harmless_gateway_condition_is_accepted():
    tree = load_bpmn(definitions(gateway_body("len(agencies) &gt;= 2 and risk_level != 'low'")))
    assert texts(tree, "//bpmn:conditionExpression") == [
        "len(agencies) >= 2 and risk_level != 'low'"
    ]


def test_timer_expression_calling_a_builtin_outside_the_vetted_set_is_refused():
    doc = definitions(timer_body("timeDuration", "open('/etc/passwd').read()"))
    # Reported at the event the canvas draws, not at its timerEventDefinition.
    assert_forbidden_expression(doc, "Wait")


def test_message_payload_is_checked():
    body = """
    <bpmn:intermediateThrowEvent id="Tell_school">
      <bpmn:messageEventDefinition id="Msg_def" messageRef="Referral">
        <bpmn:extensionElements>
          <spiffworkflow:messagePayload>__builtins__</spiffworkflow:messagePayload>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateThrowEvent>
"""
    error = assert_forbidden_expression(definitions(body), "Tell_school")
    assert "spiffworkflow:messagePayload in intermediateThrowEvent 'Tell_school'" in error.message


def test_loop_condition_is_checked():
    body = """
    <bpmn:userTask id="Follow_up">
      <bpmn:standardLoopCharacteristics>
        <bpmn:loopCondition>(lambda: 1)()</bpmn:loopCondition>
      </bpmn:standardLoopCharacteristics>
    </bpmn:userTask>
"""
    assert_forbidden_expression(definitions(body), "Follow_up")


def test_correlation_retrieval_comment_is_checked_because_spiffworkflow_evaluates_it():
    doc = definitions(VALID_BODY).replace(
        "</bpmn:definitions>",
        """  <bpmn:correlationProperty id="case_key" name="case key">
    <bpmn:correlationPropertyRetrievalExpression messageRef="Referral"><!--__import__('os')-->
      <bpmn:formalExpression>case_id</bpmn:formalExpression>
    </bpmn:correlationPropertyRetrievalExpression>
  </bpmn:correlationProperty>
</bpmn:definitions>""",
    )
    assert rejected(doc).code == "forbidden-expression"


# --- timer literals that are wrong ----------------------------------------------------------


def assert_invalid_timer(kind: str, text: str, *fragments: str) -> ProtocolRejected:
    error = rejected(definitions(timer_body(kind, text)))
    assert error.code == "invalid-timer"
    # The timerEventDefinition has an id but no shape; its event is what the modeller can select.
    assert error.element_id == "Wait"
    assert f"{kind} in intermediateCatchEvent 'Wait'" in error.message
    assert text in error.message
    for fragment in fragments:
        assert fragment in error.message
    return error


def test_date_time_without_offset_is_refused():
    assert_invalid_timer("timeDate", "2026-12-01T09:00:00", "no UTC offset", "local offset")


def test_malformed_duration_is_refused():
    assert_invalid_timer("timeDuration", "P3X", "ISO 8601 duration")


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("timeDuration", "PT24"),
        ("timeDuration", "P1DT"),
        ("timeDuration", "P1.5DT1H"),  # SpiffWorkflow would silently read this as one hour
        ("timeDuration", "P999999999M"),  # SpiffWorkflow would loop month by month for ages
        ("timeDuration", "2026-12-01T09:00:00+07:00"),  # a date where a duration belongs
        ("timeDate", "PT24H"),  # a duration where a date belongs
        ("timeDate", "2026-13-01T09:00:00+07:00"),
        ("timeCycle", "R3/PT1X"),
        ("timeCycle", "R3/2026-12-01T09:00:00/PT1H"),
        ("timeCycle", "R3/PT1H/PT2H"),
    ],
)
def test_other_malformed_timer_literals_are_refused(kind, text):
    assert_invalid_timer(kind, text)


def test_empty_timer_is_refused():
    error = rejected(definitions(timer_body("timeDuration", "  ")))
    assert error.code == "invalid-timer"
    assert "empty" in error.message


def test_error_is_a_value_error_with_its_fields():
    error = ProtocolRejected("doctype", "no DTDs", element_id="X", line=3)
    assert isinstance(error, ValueError)
    fields = (error.code, error.message, error.element_id, error.line)
    assert fields == ("doctype", "no DTDs", "X", 3)
    assert str(error) == "no DTDs"
