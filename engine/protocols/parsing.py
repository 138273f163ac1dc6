"""From uploaded BPMN to a stored, runnable protocol: hardened load, XSD-validated parse, lint.

Each user task's lane, agency, role, form and due date are resolved here once per version, from
either extension convention (spiff-arena's properties or Camunda Modeler's attributes; the
bridge's parser keeps both).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from lxml import etree

from engine.errors import ProtocolInvalid
from engine.forms.catalogue import FormCatalogue
from engine.network.definition import Network
from engine.protocols.assignees import AccountLookup, assignee_findings
from engine.protocols.columns import column_findings
from engine.protocols.findings import Finding, Severity, has_errors
from engine.protocols.limits import flow_node_findings
from engine.protocols.lint import lint_tree
from engine.protocols.loading import BPMN_NS, ProtocolRejected, load_bpmn
from engine.workflow.parsing import NAMESPACES, BpmnInvalid, ManualTaskSpec, ProcessReader


@dataclass(frozen=True)
class UserTaskDescriptor:
    """What a work item needs to know about its task, resolved once per protocol version."""

    task_name: str
    label: str
    lane: str | None
    agency_code: str | None
    candidate_role: str | None
    assignee: str | None
    form_key: str | None
    due_date: str | None


@dataclass
class ParsedProtocol:
    process_id: str
    name: str
    spec_json: str
    user_tasks: dict[str, UserTaskDescriptor]
    findings: list[Finding]

    def tasks_json(self) -> str:
        return json.dumps({k: asdict(v) for k, v in self.user_tasks.items()}, ensure_ascii=False)


def descriptors_from_json(text: str) -> dict[str, UserTaskDescriptor]:
    return {key: UserTaskDescriptor(**value) for key, value in json.loads(text).items()}


def _rejection_finding(exc: ProtocolRejected) -> Finding:
    return Finding(
        code=exc.code,
        severity=Severity.ERROR,
        message_en=exc.message,
        message_th=exc.message_th,
        element_id=exc.element_id,
        line=exc.line,
    )


def _validation_finding(exc: BpmnInvalid) -> Finding:
    message = exc.message.splitlines()[0] if exc.message else "the BPMN does not validate"
    return Finding(
        code="bpmn-invalid",
        severity=Severity.ERROR,
        message_en=message,
        message_th=f"SpiffWorkflow หรือ XML Schema ของ BPMN ไม่รับโครงสร้างนี้ (ข้อความจากตัวตรวจ: {message})",
        element_id=exc.element_id,
        line=exc.line,
    )


def _property(extensions: dict[str, Any], *names: str) -> str | None:
    properties = extensions.get("properties") or {}
    camunda = extensions.get("camunda") or {}
    for name in names:
        for source in (properties, camunda):
            value = source.get(name)
            if value not in (None, ""):
                return str(value)
    return None


def _lanes_by_node(tree: etree._ElementTree) -> dict[str, tuple[str | None, str | None]]:
    """flow node id → (lane id, lane name).

    With nested lanes the innermost wins. A node inside an embedded subprocess that no lane
    lists takes the lane of its subprocess, as a reader of the diagram would.
    """
    root = tree.getroot()
    lanes: dict[str, tuple[str | None, str | None]] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):  # document order: parents first
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = (lane.get("id"), lane.get("name"))
    for local in ("subProcess", "transaction", "adHocSubProcess"):
        for subprocess in root.iter(f"{{{BPMN_NS}}}{local}"):  # outer subprocesses first
            enclosing = lanes.get(subprocess.get("id", ""))
            if enclosing is None:
                continue
            for node in subprocess.iterdescendants():
                node_id = node.get("id")
                if node_id and node_id not in lanes:
                    lanes[node_id] = enclosing
    return lanes


def _describe_user_tasks(
    tasks: list[ManualTaskSpec], tree: etree._ElementTree, network: Network
) -> tuple[dict[str, UserTaskDescriptor], list[Finding]]:
    lanes = _lanes_by_node(tree)
    descriptors: dict[str, UserTaskDescriptor] = {}
    findings: list[Finding] = []
    for task_spec in tasks:
        lane_id, lane_name = lanes.get(task_spec.bpmn_id, (None, task_spec.lane))
        extensions = task_spec.extensions
        assignment = network.assign_lane(lane_name, lane_id)
        label = task_spec.name or task_spec.bpmn_id
        if lane_name is None and lane_id is None:
            findings.append(Finding(
                "lane-missing", Severity.ERROR,
                f"user task '{label}' is in no lane, so no agency owns it",
                f"งาน '{label}' ไม่อยู่ในช่อง (lane) ใด จึงไม่มีหน่วยงานรับผิดชอบ",
                task_spec.bpmn_id,
            ))
        elif assignment is None:
            findings.append(Finding(
                "lane-unknown-agency", Severity.ERROR,
                f"user task '{label}' is in lane '{lane_name or lane_id}', which names no agency "
                "code of the network definition",
                f"งาน '{label}' อยู่ในช่อง '{lane_name or lane_id}' ซึ่งไม่ตรงกับรหัสหน่วยงานใดในเครือข่าย",
                task_spec.bpmn_id,
            ))
        descriptors[task_spec.bpmn_id] = UserTaskDescriptor(
            task_name=task_spec.bpmn_id,
            label=label,
            lane=lane_name or lane_id,
            agency_code=assignment.agency_code if assignment else None,
            candidate_role=_property(extensions, "candidateGroups")
            or (assignment.role if assignment else None),
            assignee=_property(extensions, "assignee"),
            form_key=_property(extensions, "formJsonSchemaFilename", "formKey"),
            due_date=_property(extensions, "dueDate"),
        )
    return descriptors, findings


def _with_validation_finding(linted: list[Finding], invalid: Finding, tree: etree._ElementTree) -> list[Finding]:
    """Lint findings plus SpiffWorkflow's refusal, unless it only repeats a lint error."""
    flagged = {f.element_id for f in linted if f.severity is Severity.ERROR and f.element_id}
    if invalid.element_id:
        flows = tree.getroot().xpath("//bpmn:sequenceFlow[@id=$id]", namespaces=NAMESPACES, id=invalid.element_id)
        if invalid.element_id in flagged or any(flow.get("sourceRef") in flagged for flow in flows):
            return linted
    return [*linted, invalid]


def _refuse(findings: list[Finding]) -> ProtocolInvalid:
    first = next(f for f in findings if f.severity is Severity.ERROR)
    return ProtocolInvalid(f"the protocol was refused: {first}", findings)


def parse_protocol(
    data: bytes | str,
    *,
    network: Network,
    filename: str = "protocol.bpmn",
    forms: FormCatalogue | None = None,
    known_messages: set[str] | None = None,
    accounts: AccountLookup | None = None,
) -> ParsedProtocol:
    """Parse and lint one protocol file.

    Raises :class:`ProtocolInvalid` with every error finding; warnings travel on the result.
    Without *forms* the form rules are skipped; without *known_messages* (the messages the
    other protocols catch) a message nobody here catches is a warning rather than an error;
    without *accounts* (the user table) named assignees are not checked.
    """
    try:
        tree = load_bpmn(data, filename=filename)
    except ProtocolRejected as exc:
        raise _refuse([_rejection_finding(exc)]) from exc
    too_big = flow_node_findings(tree, network.limits)
    if too_big:
        raise _refuse(too_big)

    try:
        reader = ProcessReader(tree, filename=filename)
    except BpmnInvalid as exc:
        raise _refuse([_validation_finding(exc)]) from exc
    process_ids = reader.process_ids
    if len(process_ids) != 1:
        raise _refuse([Finding(
            "process-count", Severity.ERROR,
            f"a protocol file holds exactly one executable process; this one has {len(process_ids)}",
            f"ไฟล์โพรโทคอลต้องมีกระบวนการที่ทำงานได้หนึ่งกระบวนการพอดี แต่ไฟล์นี้มี {len(process_ids)}",
        )])
    process_id = process_ids[0]
    # Lint before SpiffWorkflow builds the spec: some of its refusals (a gateway flow without a
    # condition, say) are what a lint rule reports with a code and in Thai.
    linted = lint_tree(tree, network=network, forms=forms, known_messages=known_messages)
    try:
        specs = reader.specs(process_id)
    except BpmnInvalid as exc:
        raise _refuse(_with_validation_finding(linted, _validation_finding(exc), tree)) from exc

    descriptors, findings = _describe_user_tasks(specs.manual_tasks(), tree, network)
    findings.extend(column_findings(tree, descriptors))
    if accounts is not None:
        findings.extend(assignee_findings(descriptors, accounts))
    findings.extend(linted)
    if has_errors(findings):
        raise _refuse(findings)
    process = tree.getroot().find(f"{{{BPMN_NS}}}process[@id='{process_id}']")
    name = (process.get("name") if process is not None else None) or process_id
    return ParsedProtocol(
        process_id=process_id,
        name=name,
        spec_json=specs.spec_json(),
        user_tasks=descriptors,
        findings=findings,
    )
