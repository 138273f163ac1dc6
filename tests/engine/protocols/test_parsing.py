"""Parsing uploaded protocols: both modellers' conventions, lanes as agencies, lint, refusals.

The documents are written inline and kept small, so each test shows the one thing it is about.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.errors import InvalidState, ProtocolInvalid
from engine.protocols import service as protocols
from engine.protocols.findings import Finding, Severity
from engine.protocols.models import ProtocolVersion
from engine.protocols.parsing import UserTaskDescriptor, descriptors_from_json, parse_protocol
from engine.workflow.serialization import new_workflow

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
THAI = re.compile("[\u0e00-\u0e7f]")


def definitions(*processes: str, root: str = "", prolog: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{prolog}"
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="{SPIFF_NS}" '
        f'xmlns:camunda="{CAMUNDA_NS}" id="test_definitions" targetNamespace="https://khumkrong.example/test">\n'
        f"{root}"
        + "\n".join(processes)
        + "\n</bpmn:definitions>\n"
    )


def process(body: str, *, lanes: str = "", process_id: str = "case_proc", name: str = "กระบวนการทดสอบ") -> str:
    lane_set = f'<bpmn:laneSet id="{process_id}_lanes">{lanes}</bpmn:laneSet>' if lanes else ""
    return f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true">{lane_set}\n{body}\n</bpmn:process>'


def lane(lane_id: str, name: str, *refs: str, children: str = "") -> str:
    nodes = "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
    child_set = f'<bpmn:childLaneSet id="{lane_id}_children">{children}</bpmn:childLaneSet>' if children else ""
    return f'<bpmn:lane id="{lane_id}" name="{name}">{nodes}{child_set}</bpmn:lane>'


def one_task(task_xml: str) -> str:
    """begin → (the given user task, id 'task') → finish."""
    return "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_task</bpmn:outgoing></bpmn:startEvent>',
        task_xml,
        '<bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:sequenceFlow id="to_task" sourceRef="begin" targetRef="task"/>',
        '<bpmn:sequenceFlow id="to_finish" sourceRef="task" targetRef="finish"/>',
    ])


def user_task(attributes: str = "", extensions: str = "", task_id: str = "task", name: str = "ประเมินเด็ก") -> str:
    extension_xml = f"<bpmn:extensionElements>{extensions}</bpmn:extensionElements>" if extensions else ""
    return (
        f'<bpmn:userTask id="{task_id}" name="{name}"{attributes}>{extension_xml}'
        "<bpmn:incoming>to_task</bpmn:incoming><bpmn:outgoing>to_finish</bpmn:outgoing></bpmn:userTask>"
    )


def in_school_lane(task_xml: str) -> str:
    return definitions(process(one_task(task_xml), lanes=lane("lane_school", "spm_tak", "begin", "task", "finish")))


def refused(data: str | bytes, network) -> list[Finding]:
    with pytest.raises(ProtocolInvalid) as info:
        parse_protocol(data, network=network)
    return info.value.findings


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# -- 1, 2. Camunda Modeler and spiff-arena conventions ------------------------------------------


def test_camunda_modeler_conventions_are_kept(network):
    task = user_task(
        ' camunda:formKey="assess_form" camunda:candidateGroups="supervisor" camunda:assignee="worker.spm_tak"'
        ' camunda:dueDate="P2D" camunda:candidateUsers="worker2.spm_tak" camunda:priority="80"',
        '<camunda:properties><camunda:property name="x" value="y"/></camunda:properties>',
    )
    parsed = parse_protocol(in_school_lane(task), network=network)

    expected = UserTaskDescriptor(
        task_name="task", label="ประเมินเด็ก", lane="spm_tak", agency_code="spm_tak",
        candidate_role="supervisor", assignee="worker.spm_tak", form_key="assess_form", due_date="P2D",
    )
    assert parsed.user_tasks == {"task": expected}
    assert parsed.findings == []
    assert (parsed.process_id, parsed.name) == ("case_proc", "กระบวนการทดสอบ")
    # What the runtime reads back from the stored version.
    assert descriptors_from_json(parsed.tasks_json()) == {"task": expected}

    # SpiffWorkflow's own CamundaParser drops these; they must survive the stored spec.
    restored = new_workflow(parsed.spec_json).spec.task_specs["task"]
    assert restored.extensions == {
        "camunda": {
            "formKey": "assess_form", "assignee": "worker.spm_tak", "candidateGroups": "supervisor",
            "candidateUsers": "worker2.spm_tak", "dueDate": "P2D", "priority": "80",
        },
        "properties": {"x": "y"},
    }


def test_spiff_arena_conventions_are_read(network):
    task = user_task(extensions=(
        "<spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" value="assess.schema.json"/>'
        '<spiffworkflow:property name="candidateGroups" value="supervisor"/>'
        '<spiffworkflow:property name="dueDate" value="PT36H"/>'
        "</spiffworkflow:properties>"
    ))
    parsed = parse_protocol(in_school_lane(task), network=network)
    descriptor = parsed.user_tasks["task"]
    assert (descriptor.form_key, descriptor.candidate_role, descriptor.due_date, descriptor.assignee) == (
        "assess.schema.json", "supervisor", "PT36H", None,
    )
    restored = new_workflow(parsed.spec_json).spec.task_specs["task"]
    assert restored.extensions == {"properties": {
        "formJsonSchemaFilename": "assess.schema.json", "candidateGroups": "supervisor", "dueDate": "PT36H",
    }}


def test_spiff_wins_where_both_conventions_name_the_same_property(network):
    task = user_task(
        ' camunda:formKey="camunda_form" camunda:candidateGroups="supervisor" camunda:dueDate="P1D"',
        "<spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" value="spiff_form.schema.json"/>'
        '<spiffworkflow:property name="candidateGroups" value="case_worker"/>'
        '<spiffworkflow:property name="dueDate" value="P3D"/>'
        '<spiffworkflow:property name="x" value="from spiff"/>'
        "</spiffworkflow:properties>"
        '<camunda:properties><camunda:property name="x" value="from camunda"/>'
        '<camunda:property name="only_camunda" value="kept"/></camunda:properties>',
    )
    parsed = parse_protocol(in_school_lane(task), network=network)
    descriptor = parsed.user_tasks["task"]
    assert (descriptor.form_key, descriptor.candidate_role, descriptor.due_date) == (
        "spiff_form.schema.json", "case_worker", "P3D",
    )
    extensions = new_workflow(parsed.spec_json).spec.task_specs["task"].extensions
    assert extensions["properties"] == {
        "formJsonSchemaFilename": "spiff_form.schema.json", "candidateGroups": "case_worker",
        "dueDate": "P3D", "x": "from spiff", "only_camunda": "kept",
    }
    # The Camunda values are kept beside the winners, not lost.
    assert extensions["camunda"] == {"formKey": "camunda_form", "candidateGroups": "supervisor", "dueDate": "P1D"}


# -- 3. lanes are agencies ----------------------------------------------------------------------


def test_lane_named_by_agency_code(network):
    parsed = parse_protocol(in_school_lane(user_task()), network=network)
    descriptor = parsed.user_tasks["task"]
    assert (descriptor.lane, descriptor.agency_code, descriptor.candidate_role) == ("spm_tak", "spm_tak", None)


def test_lane_id_is_the_agency_code_when_the_name_is_for_people(network):
    document = definitions(process(one_task(user_task()), lanes=lane("pmj_tak", "พมจ. ตาก", "begin", "task", "finish")))
    descriptor = parse_protocol(document, network=network).user_tasks["task"]
    assert (descriptor.lane, descriptor.agency_code, descriptor.candidate_role) == ("พมจ. ตาก", "pmj_tak", None)


def test_nested_lane_narrows_to_a_role_within_the_agency(network):
    lanes = lane(
        "lane_police", "ตำรวจ", "begin", "task", "finish",
        children=lane("lane_police_workers", "police_tak/case_worker", "task"),
    )
    descriptor = parse_protocol(definitions(process(one_task(user_task()), lanes=lanes)), network=network).user_tasks["task"]
    assert (descriptor.lane, descriptor.agency_code, descriptor.candidate_role) == (
        "police_tak/case_worker", "police_tak", "case_worker",
    )


def test_candidate_groups_overrides_the_role_of_a_nested_lane(network):
    lanes = lane(
        "lane_police", "police_tak", "begin", "task", "finish",
        children=lane("lane_police_workers", "police_tak/case_worker", "task"),
    )
    task = user_task(' camunda:candidateGroups="supervisor"')
    descriptor = parse_protocol(definitions(process(one_task(task), lanes=lanes)), network=network).user_tasks["task"]
    assert (descriptor.agency_code, descriptor.candidate_role) == ("police_tak", "supervisor")


@pytest.mark.parametrize(
    "lane_id, lane_name",
    [
        ("lane_school", "โรงเรียน"),            # a display name, and an id that is no code either
        ("lane_police", "police_tak/investigator"),  # a real agency, but a role the network lacks
        ("lane_unknown", "dsdw_tak"),            # looks like a code, but no such agency
    ],
)
def test_user_task_in_a_lane_naming_no_agency_is_refused(network, lane_id, lane_name):
    document = definitions(process(one_task(user_task()), lanes=lane(lane_id, lane_name, "begin", "task", "finish")))
    findings = refused(document, network)
    assert codes(findings) == ["lane-unknown-agency"]
    finding = findings[0]
    assert (finding.severity, finding.element_id) == (Severity.ERROR, "task")
    assert lane_name in finding.message_en and "ประเมินเด็ก" in finding.message_en
    assert "no agency" in finding.message_en
    assert lane_name in finding.message_th and "หน่วยงาน" in finding.message_th
    assert THAI.search(finding.message_th.replace(lane_name, "").replace("ประเมินเด็ก", ""))


def test_user_task_outside_every_lane_is_refused(network):
    # The lane set exists, but the task is in none of its lanes.
    document = definitions(process(one_task(user_task()), lanes=lane("lane_school", "spm_tak", "begin", "finish")))
    findings = refused(document, network)
    assert codes(findings) == ["lane-missing"]
    assert (findings[0].severity, findings[0].element_id) == (Severity.ERROR, "task")
    assert "no lane" in findings[0].message_en
    assert THAI.search(findings[0].message_th)


def test_every_lane_error_is_reported_at_once(network):
    body = "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_first</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:userTask id="first" name="หนึ่ง"><bpmn:incoming>to_first</bpmn:incoming><bpmn:outgoing>to_second</bpmn:outgoing></bpmn:userTask>',
        '<bpmn:userTask id="second" name="สอง"><bpmn:incoming>to_second</bpmn:incoming><bpmn:outgoing>to_finish</bpmn:outgoing></bpmn:userTask>',
        '<bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:sequenceFlow id="to_first" sourceRef="begin" targetRef="first"/>',
        '<bpmn:sequenceFlow id="to_second" sourceRef="first" targetRef="second"/>',
        '<bpmn:sequenceFlow id="to_finish" sourceRef="second" targetRef="finish"/>',
    ])
    findings = refused(definitions(process(body, lanes=lane("lane_x", "somewhere", "first"))), network)
    assert sorted((f.code, f.element_id) for f in findings) == [
        ("lane-missing", "second"), ("lane-unknown-agency", "first"),
    ]


# -- 4. loops -----------------------------------------------------------------------------------


def test_back_edge_loop_parses_with_a_warning_naming_the_flow(network):
    body = "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_visit</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:userTask id="visit" name="เยี่ยมบ้าน"><bpmn:incoming>to_visit</bpmn:incoming>'
        "<bpmn:incoming>visit_again</bpmn:incoming><bpmn:outgoing>to_check</bpmn:outgoing></bpmn:userTask>",
        '<bpmn:exclusiveGateway id="check" default="to_finish"><bpmn:incoming>to_check</bpmn:incoming>'
        "<bpmn:outgoing>visit_again</bpmn:outgoing><bpmn:outgoing>to_finish</bpmn:outgoing></bpmn:exclusiveGateway>",
        '<bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:sequenceFlow id="to_visit" sourceRef="begin" targetRef="visit"/>',
        '<bpmn:sequenceFlow id="to_check" sourceRef="visit" targetRef="check"/>',
        '<bpmn:sequenceFlow id="visit_again" sourceRef="check" targetRef="visit">'
        "<bpmn:conditionExpression>again == True</bpmn:conditionExpression></bpmn:sequenceFlow>",
        '<bpmn:sequenceFlow id="to_finish" sourceRef="check" targetRef="finish"/>',
    ])
    parsed = parse_protocol(definitions(process(body, lanes=lane("lane_school", "spm_tak", "visit"))), network=network)
    assert [(f.code, f.severity, f.element_id) for f in parsed.findings] == [
        ("loop-back-edge", Severity.WARNING, "visit_again"),
    ]
    finding = parsed.findings[0]
    assert "'visit_again'" in finding.message_en and "'visit'" in finding.message_en
    assert "'visit_again'" in finding.message_th and THAI.search(finding.message_th)
    assert finding.line is not None
    assert set(parsed.user_tasks) == {"visit"}


def test_looping_subprocess_has_no_back_edge_warning(network):
    body = "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_visits</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:subProcess id="visits" name="เยี่ยมบ้านจนปลอดภัย">'
        "<bpmn:incoming>to_visits</bpmn:incoming><bpmn:outgoing>to_finish</bpmn:outgoing>"
        "<bpmn:standardLoopCharacteristics><bpmn:loopCondition>safe == True</bpmn:loopCondition>"
        "</bpmn:standardLoopCharacteristics>"
        '<bpmn:startEvent id="visit_begin"><bpmn:outgoing>to_visit</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:userTask id="visit" name="เยี่ยมบ้าน"><bpmn:incoming>to_visit</bpmn:incoming>'
        "<bpmn:outgoing>to_visit_end</bpmn:outgoing></bpmn:userTask>"
        '<bpmn:endEvent id="visit_end"><bpmn:incoming>to_visit_end</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="to_visit" sourceRef="visit_begin" targetRef="visit"/>'
        '<bpmn:sequenceFlow id="to_visit_end" sourceRef="visit" targetRef="visit_end"/>'
        "</bpmn:subProcess>",
        '<bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:sequenceFlow id="to_visits" sourceRef="begin" targetRef="visits"/>',
        '<bpmn:sequenceFlow id="to_finish" sourceRef="visits" targetRef="finish"/>',
    ])
    parsed = parse_protocol(definitions(process(body, lanes=lane("lane_school", "spm_tak", "visits", "visit"))), network=network)
    assert parsed.findings == []
    assert parsed.user_tasks["visit"].agency_code == "spm_tak"


# -- 5. malicious uploads are refused and nothing is stored -------------------------------------


def _big_file() -> str:
    # Valid in every other way: the size alone must be what refuses it.
    padding = "<!-- " + "ก" * (5 * 1024 * 1024 // 3) + " -->\n"
    return definitions(process(one_task(user_task()), lanes=lane("l", "spm_tak", "task")), prolog=padding)


def _deep_file() -> str:
    nested = "<deep>" * 10_000 + "</deep>" * 10_000
    return in_school_lane(user_task(extensions=nested))


def _condition(expression: str) -> str:
    body = "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_check</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:exclusiveGateway id="check" default="to_finish"><bpmn:incoming>to_check</bpmn:incoming>'
        "<bpmn:outgoing>to_task</bpmn:outgoing><bpmn:outgoing>to_finish</bpmn:outgoing></bpmn:exclusiveGateway>",
        '<bpmn:userTask id="task" name="งาน"><bpmn:incoming>to_task</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing></bpmn:userTask>',
        '<bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:sequenceFlow id="to_check" sourceRef="begin" targetRef="check"/>',
        f'<bpmn:sequenceFlow id="to_task" sourceRef="check" targetRef="task"><bpmn:conditionExpression>{expression}</bpmn:conditionExpression></bpmn:sequenceFlow>',
        '<bpmn:sequenceFlow id="to_finish" sourceRef="check" targetRef="finish"/>',
        '<bpmn:sequenceFlow id="to_end" sourceRef="task" targetRef="finish"/>',
    ])
    return definitions(process(body, lanes=lane("lane_school", "spm_tak", "task")))


XXE = definitions(
    process(one_task(user_task(name="&xxe;")), lanes=lane("l", "spm_tak", "task")),
    prolog='<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
)
BILLION_LAUGHS = definitions(
    process(one_task(user_task(name="&lol9;")), lanes=lane("l", "spm_tak", "task")),
    prolog="<!DOCTYPE lolz [\n  <!ENTITY lol \"lol\">\n"
    + "".join(
        f'  <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + "]>\n",
)
SCRIPT_TASK = definitions(process(
    "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_run</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:scriptTask id="run_code" scriptFormat="python"><bpmn:incoming>to_run</bpmn:incoming>'
        "<bpmn:outgoing>to_finish</bpmn:outgoing><bpmn:script>import os; os.system('id')</bpmn:script></bpmn:scriptTask>",
        '<bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:sequenceFlow id="to_run" sourceRef="begin" targetRef="run_code"/>',
        '<bpmn:sequenceFlow id="to_finish" sourceRef="run_code" targetRef="finish"/>',
    ]),
))


@pytest.mark.parametrize(
    "document, code, element_id",
    [
        pytest.param(XXE, "doctype", None, id="xxe-etc-passwd"),
        pytest.param(BILLION_LAUGHS, "doctype", None, id="billion-laughs"),
        pytest.param(SCRIPT_TASK, "forbidden-element", "run_code", id="script-task"),
        pytest.param(_condition("__import__('os').system('id')"), "forbidden-expression", "to_task", id="import-os"),
        pytest.param(_big_file(), "too-large", None, id="five-megabytes"),
        pytest.param(_deep_file(), "too-deep", None, id="ten-thousand-deep"),
    ],
)
def test_malicious_upload_is_refused_and_nothing_is_stored(session, network, clock, people, document, code, element_id):
    # A version already stored, so "nothing stored" is measured against a non-empty table.
    protocols.store_draft(
        session=session, key="upload", bpmn=in_school_lane(user_task()), network=network, clock=clock, actor=people["policy"]
    )
    versions_before = session.scalar(select(func.count()).select_from(ProtocolVersion))
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))
    assert (versions_before, audit_before) == (1, 1)

    with pytest.raises(ProtocolInvalid) as info:
        protocols.store_draft(
            session=session, key="upload", bpmn=document, network=network, clock=clock, actor=people["policy"]
        )
    findings = info.value.findings
    assert [(f.code, f.severity) for f in findings] == [(code, Severity.ERROR)]
    if element_id is not None:
        assert findings[0].element_id == element_id
    assert info.value.code == "protocol-invalid"
    assert "root:" not in str(info.value)  # no /etc/passwd line in the message either

    session.rollback()
    assert session.scalar(select(func.count()).select_from(ProtocolVersion)) == versions_before
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before


@pytest.mark.parametrize("encode", [
    pytest.param(lambda text: text.encode("utf-16"), id="utf-16"),
    pytest.param(lambda text: text.encode("utf-8").replace("ประเมิน".encode(), b"\xff\xfe"), id="bad-bytes"),
])
def test_upload_that_is_not_utf8_is_refused_as_protocol_invalid(session, network, clock, people, encode):
    data = encode(in_school_lane(user_task()))
    with pytest.raises(ProtocolInvalid) as info:
        protocols.store_draft(session=session, key="upload", bpmn=data, network=network, clock=clock, actor=people["policy"])
    assert codes(info.value.findings) == ["encoding"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ProtocolVersion)) == 0


# -- 6. structure ------------------------------------------------------------------------------


def test_two_executable_processes_are_refused(network):
    first = process(one_task(user_task()), lanes=lane("l1", "spm_tak", "task"), process_id="first_proc")
    second = process(
        '<bpmn:startEvent id="second_begin"/>', process_id="second_proc", name="อีกกระบวนการ"
    )
    findings = refused(definitions(first, second), network)
    assert codes(findings) == ["process-count"]
    assert "2" in findings[0].message_en and "2" in findings[0].message_th


def test_a_non_executable_process_beside_the_protocol_is_allowed(network):
    first = process(one_task(user_task()), lanes=lane("l1", "spm_tak", "task"), process_id="first_proc")
    other = '<bpmn:process id="other_proc" isExecutable="false"><bpmn:startEvent id="other_begin"/></bpmn:process>'
    assert parse_protocol(definitions(first, other), network=network).process_id == "first_proc"


def test_schema_invalid_document_is_refused(network):
    document = definitions(process(one_task(user_task()) + '\n<bpmn:frobnicate id="odd"/>', lanes=lane("l", "spm_tak", "task")))
    findings = refused(document, network)
    assert codes(findings) == ["bpmn-invalid"]
    assert "frobnicate" in findings[0].message_en and "frobnicate" in findings[0].message_th
    expected_line = next(n for n, text in enumerate(document.splitlines(), 1) if "frobnicate" in text)
    assert findings[0].line == expected_line


# -- 7. versions --------------------------------------------------------------------------------


def test_same_content_is_one_version_changed_content_is_the_next(session, network, clock, people):
    first_text = in_school_lane(user_task())
    store = dict(session=session, key="assess", network=network, clock=clock, actor=people["policy"])

    first, findings = protocols.store_draft(bpmn=first_text, **store)
    assert (first.version, first.published, first.process_id, first.name) == (1, False, "case_proc", "กระบวนการทดสอบ")
    assert findings == []
    assert descriptors_from_json(first.tasks_json)["task"].agency_code == "spm_tak"
    audit_after_first = session.scalar(select(func.count()).select_from(AuditEvent))

    again, _ = protocols.store_draft(bpmn=first_text, **store)
    assert (again.id, again.version) == (first.id, 1)
    # The same content as bytes is the same content.
    as_bytes, _ = protocols.store_draft(bpmn=first_text.encode("utf-8"), **store)
    assert as_bytes.id == first.id
    assert session.scalar(select(func.count()).select_from(ProtocolVersion)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_after_first

    changed, _ = protocols.store_draft(bpmn=in_school_lane(user_task(name="ประเมินเด็กใหม่")), **store)
    assert (changed.version, changed.key) == (2, "assess")
    # Going back to the first content finds version 1 rather than making a third.
    back, _ = protocols.store_draft(bpmn=first_text, **store)
    assert back.version == 1
    assert session.scalar(select(func.count()).select_from(ProtocolVersion)) == 2

    # Content hashes are per protocol: the same file under another key is that key's version 1.
    other, _ = protocols.store_draft(
        session=session, key="assess_copy", bpmn=first_text, network=network, clock=clock, actor=people["policy"]
    )
    assert (other.key, other.version) == ("assess_copy", 1) and other.id != first.id


def test_publishing_twice_is_refused(session, network, clock, people):
    version, _ = protocols.store_draft(
        session=session, key="assess", bpmn=in_school_lane(user_task()), network=network, clock=clock, actor=people["policy"]
    )
    published = protocols.publish(session=session, key="assess", version=version.version, clock=clock, actor=people["policy"])
    assert (published.published, published.published_at) == (True, clock.now())
    with pytest.raises(InvalidState):
        protocols.publish(session=session, key="assess", version=version.version, clock=clock, actor=people["policy"])
    session.rollback()
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["protocol.draft_stored", "protocol.published"]


def test_warnings_are_recorded_when_a_draft_is_stored(session, network, clock, people):
    body = "\n".join([
        '<bpmn:startEvent id="begin"><bpmn:outgoing>to_task</bpmn:outgoing></bpmn:startEvent>',
        '<bpmn:userTask id="task" name="งาน"><bpmn:incoming>to_task</bpmn:incoming><bpmn:incoming>redo</bpmn:incoming>'
        "<bpmn:outgoing>to_check</bpmn:outgoing></bpmn:userTask>",
        '<bpmn:exclusiveGateway id="check" default="to_finish"><bpmn:incoming>to_check</bpmn:incoming>'
        "<bpmn:outgoing>redo</bpmn:outgoing><bpmn:outgoing>to_finish</bpmn:outgoing></bpmn:exclusiveGateway>",
        '<bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:sequenceFlow id="to_task" sourceRef="begin" targetRef="task"/>',
        '<bpmn:sequenceFlow id="to_check" sourceRef="task" targetRef="check"/>',
        '<bpmn:sequenceFlow id="redo" sourceRef="check" targetRef="task"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>',
        '<bpmn:sequenceFlow id="to_finish" sourceRef="check" targetRef="finish"/>',
    ])
    version, findings = protocols.store_draft(
        session=session, key="looping", bpmn=definitions(process(body, lanes=lane("l", "spm_tak", "task"))),
        network=network, clock=clock, actor=people["policy"],
    )
    assert codes(findings) == ["loop-back-edge"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.protocol_version_id == version.id)).one()
    assert (event.action, event.details["warnings"], event.details["version"]) == (
        "protocol.draft_stored", ["loop-back-edge"], 1,
    )
