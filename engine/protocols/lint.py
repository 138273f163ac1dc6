"""Structural lint rules read from the BPMN tree.

The loader (:mod:`engine.protocols.loading`) refuses what is dangerous, and parsing refuses what
SpiffWorkflow cannot run and checks lanes against the network. The rules here catch what would
run but go wrong for a child: a gateway with no way out, a task nobody can reach, a form field
that no earlier form asks for, a deadline that is not a deadline, a referral nobody receives.

Each rule has a stable code (``RULES``, documented in ``protocols/README.md``); a finding names
the element to fix. Rules that need a catalogue (forms, other protocols' messages) are skipped
when the caller has none, so a file can be checked on its own.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.forms.catalogue import FormCatalogue, field_schemas
from engine.network.definition import ProtocolLimits
from engine.protocols.constants import LINT_NOW, constant_findings, evaluate_constant
from engine.protocols.constants import free_names as _free_names
from engine.protocols.disclosure import DISCLOSURE_RULES, disclosure_findings
from engine.protocols.findings import Finding, Severity
from engine.protocols.graph import SCOPES as _SCOPES
from engine.protocols.graph import FormsBefore as _Before
from engine.protocols.graph import closing_edges, executable_processes, is_flow_node
from engine.protocols.graph import closure as _closure
from engine.protocols.graph import is_bpmn as _bpmn
from engine.protocols.graph import is_compensation as _is_compensation
from engine.protocols.graph import is_event_subprocess as _is_event_subprocess
from engine.protocols.graph import iter_executable as _iter
from engine.protocols.graph import label as _label
from engine.protocols.graph import local_name as _local
from engine.protocols.graph import reachable as _reachable
from engine.protocols.graph import scopes as _scopes
from engine.protocols.language import LANGUAGE_RULES, language_findings
from engine.protocols.limits import FieldLookup, cycle_findings, cycle_from_case_data, size_findings
from engine.protocols.loading import BPMN_NS, CAMUNDA_NS, SPIFF_NS, canvas_element
from engine.workflow import expressions

# An evaluated timer is held to exactly the rules a literal one is.
from engine.workflow.timers import InvalidTimerText, validate_timer_text

_NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}
_TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date-time", "timeCycle": "cycle"}


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title_en: str
    title_th: str


def _rule(code: str, severity: Severity, title_en: str, title_th: str) -> tuple[str, Rule]:
    return code, Rule(code, severity, title_en, title_th)


# The whole catalogue, including the rules enforced by loading and parsing, so that the README
# and the API can list every code a finding may carry. A severity of WARNING on
# message-uncaught becomes ERROR when a catalogue of the other protocols is given.
RULES: Mapping[str, Rule] = dict([
    _rule("too-large", Severity.ERROR, "file larger than 2 MiB", "ไฟล์ใหญ่เกิน 2 MiB"),
    _rule("encoding", Severity.ERROR, "file is not UTF-8", "ไฟล์ไม่ได้เข้ารหัส UTF-8"),
    _rule("doctype", Severity.ERROR, "DOCTYPE declaration", "มีการประกาศ DOCTYPE"),
    _rule("xml-syntax", Severity.ERROR, "not well-formed XML", "XML ไม่สมบูรณ์"),
    _rule("too-deep", Severity.ERROR, "elements nested too deeply", "องค์ประกอบซ้อนลึกเกินไป"),
    _rule("not-bpmn", Severity.ERROR, "root is not bpmn:definitions", "ไม่ใช่เอกสาร BPMN"),
    _rule("forbidden-element", Severity.ERROR, "script, service or listener element", "มีสคริปต์ หรือ งานบริการ"),
    _rule("forbidden-expression", Severity.ERROR, "expression outside the vetted vocabulary", "นิพจน์ที่ไม่อนุญาต"),
    _rule("invalid-timer", Severity.ERROR, "timer literal is not ISO 8601", "ค่าตัวจับเวลาไม่ใช่ ISO 8601"),
    _rule("bpmn-invalid", Severity.ERROR, "BPMN schema or structure invalid", "BPMN ไม่ถูกต้องตามมาตรฐาน"),
    _rule("process-count", Severity.ERROR, "not exactly one executable process", "ไม่ได้มีกระบวนการเดียว"),
    _rule("lane-missing", Severity.ERROR, "user task in no lane", "งานไม่อยู่ในช่องหน่วยงาน"),
    _rule("lane-unknown-agency", Severity.ERROR, "lane names no agency", "ช่องไม่ตรงกับหน่วยงาน"),
    _rule("form-missing", Severity.ERROR, "user task without a form", "งานไม่มีแบบฟอร์ม"),
    _rule("form-unknown", Severity.ERROR, "form key names no form", "ไม่พบแบบฟอร์ม"),
    _rule("gateway-field-unknown", Severity.ERROR, "condition reads a field no earlier form has", "เงื่อนไขอ่านช่องที่ไม่มีในแบบฟอร์มก่อนหน้า"),
    _rule("gateway-no-default", Severity.ERROR, "gateway without a default or full conditions", "ทางแยกไม่มีทางเลือกปริยาย"),
    _rule("unreachable", Severity.ERROR, "element no start event reaches", "องค์ประกอบที่ไปไม่ถึง"),
    _rule("dead-end", Severity.ERROR, "element that reaches no end event", "องค์ประกอบที่ไปไม่ถึงจุดสิ้นสุด"),
    _rule("timer-invalid", Severity.ERROR, "timer evaluates to no valid ISO 8601 value", "ตัวจับเวลาให้ค่าที่ไม่ถูกต้อง"),
    _rule("timer-unverifiable", Severity.WARNING, "timer depends on case data", "ตัวจับเวลาขึ้นกับข้อมูลคดี"),
    _rule("timer-cycle-too-frequent", Severity.ERROR, "repeating timer fires too often", "ตัวจับเวลาวนซ้ำถี่เกินไป"),
    _rule("timer-cycle-unbounded", Severity.ERROR, "repeating timer without a bounded count", "ตัวจับเวลาวนซ้ำไม่จำกัดรอบ"),
    _rule("expression-fails", Severity.ERROR, "constant part of an expression always fails", "นิพจน์มีส่วนที่ล้มเหลวเสมอ"),
    _rule("message-uncaught", Severity.WARNING, "message no protocol catches", "ข้อความที่ไม่มีโพรโทคอลใดรับ"),
    _rule("escalation-code-unknown", Severity.ERROR, "escalation code not in the network", "รหัสการยกระดับไม่มีในเครือข่าย"),
    _rule("loop-back-edge", Severity.WARNING, "loop drawn as a back-edge", "วนซ้ำด้วยเส้นย้อนกลับ"),
    _rule("too-many-flow-nodes", Severity.ERROR, "more flow nodes than the network allows", "องค์ประกอบมากเกินขีดจำกัด"),
    _rule("too-many-branches", Severity.ERROR, "parallel split wider than the network allows", "ทางแยกขนานกว้างเกินขีดจำกัด"),
    _rule("multi-instance-too-many", Severity.ERROR, "multi-instance beyond the network's limit", "งานหลายอินสแตนซ์เกินขีดจำกัด"),
    _rule("multi-instance-unverifiable", Severity.WARNING, "multi-instance count unbounded by any form", "จำนวนอินสแตนซ์ไม่มีแบบฟอร์มใดจำกัด"),
    _rule("too-many-concurrent-tokens", Severity.ERROR, "more concurrent work than the network allows", "งานที่ดำเนินพร้อมกันมากเกินขีดจำกัด"),
    _rule("name-too-long", Severity.ERROR, "name or id longer than its database column", "ชื่อหรือรหัสยาวเกินที่ฐานข้อมูลเก็บได้"),
    _rule("assignee-not-in-agency", Severity.ERROR, "assignee may not work the lane's tasks", "ผู้รับผิดชอบไม่ได้อยู่ในหน่วยงานของช่อง"),
    _rule("assignee-unknown", Severity.WARNING, "assignee is no active user", "ไม่พบผู้รับผิดชอบในบัญชีผู้ใช้"),
    *(_rule(*rule) for rule in DISCLOSURE_RULES),
    *(_rule(*rule) for rule in LANGUAGE_RULES),
])


def reachability_findings(tree: etree._ElementTree) -> list[Finding]:
    findings: list[Finding] = []
    for scope in _scopes(tree):
        reached = _reachable(scope)
        ends = [node_id for node_id, node in scope.nodes.items() if _bpmn(node, "endEvent")]
        finishing = _closure(ends, scope.predecessors)
        for node_id, node in scope.nodes.items():
            if node_id not in reached:
                findings.append(Finding(
                    "unreachable", Severity.ERROR,
                    f"{_local(node)} {_label(node)} cannot be reached from any start event: no case "
                    "will ever get there. Connect it with a sequence flow, or delete it.",
                    f"{_local(node)} {_label(node)} ไม่มีเส้นทางจากจุดเริ่มต้นใดมาถึง คดีจะไม่มีวันมาถึงจุดนี้ "
                    "ให้ลากเส้นเชื่อม หรือ ลบออก",
                    node_id, node.sourceline,
                ))
                continue
            if (
                scope.ad_hoc
                or node_id in finishing
                or _is_event_subprocess(node)
                or _is_compensation(node)
                or (_bpmn(node, "boundaryEvent") and not scope.successors.get(node_id) and _catch_only(node))
            ):
                continue
            findings.append(Finding(
                "dead-end", Severity.ERROR,
                f"{_local(node)} {_label(node)} leads to no end event: a case that gets there has "
                "nowhere to go and never closes. Draw its outgoing flow on to an end event.",
                f"{_local(node)} {_label(node)} ไม่มีเส้นทางไปถึงจุดสิ้นสุด คดีที่มาถึงจะค้างอยู่และปิดไม่ได้ "
                "ให้ลากเส้นทางออกไปยังจุดสิ้นสุด",
                node_id, node.sourceline,
            ))
    return findings


def _catch_only(boundary: etree._Element) -> bool:
    # A non-interrupting boundary with no outgoing flow only records that something happened
    # (an escalation caught for the record); the task itself carries on to its own end.
    return boundary.get("cancelActivity") == "false"


# -- back-edges (the depth-1000 stall) ----------------------------------------------------------


def _back_edges(scope: etree._Element) -> list[etree._Element]:
    """Sequence flows that close a cycle within one process or subprocess scope."""
    flows = [f for f in scope.findall(f"{{{BPMN_NS}}}sequenceFlow")]
    successors: dict[str, list[etree._Element]] = defaultdict(list)
    targets = set()
    for flow in flows:
        successors[flow.get("sourceRef")].append(flow)
        targets.add(flow.get("targetRef"))
    nodes = [child.get("id") for child in scope if child.get("id") and etree.QName(child).localname != "sequenceFlow"]
    # Start from entry points, then from anything not yet reached, so every cycle is seen.
    order = [n for n in nodes if n not in targets] + [n for n in nodes if n in targets]
    return closing_edges(order, successors, lambda flow: flow.get("targetRef"))


def back_edge_findings(tree: etree._ElementTree) -> list[Finding]:
    findings = []
    for local in _SCOPES:
        for scope in _iter(tree, local):
            for flow in _back_edges(scope):
                findings.append(Finding(
                    "loop-back-edge", Severity.WARNING,
                    f"sequence flow '{flow.get('id')}' loops back to '{flow.get('targetRef')}': every "
                    "pass deepens the case's task tree, and SpiffWorkflow stalls silently at depth 1000. "
                    "Model repetition as a subprocess with loop characteristics instead.",
                    f"เส้นทาง '{flow.get('id')}' วนกลับไปที่ '{flow.get('targetRef')}' ทุกรอบทำให้ต้นไม้งานลึกขึ้น "
                    "และเครื่องยนต์จะหยุดเงียบที่ความลึก 1000 ควรใช้กระบวนการย่อยแบบวนซ้ำ (loop) แทน",
                    flow.get("id"),
                    flow.sourceline,
                ))
    return findings


# -- gateways -----------------------------------------------------------------------------------


def _condition(flow: etree._Element) -> str | None:
    condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
    text = (condition.text or "").strip() if condition is not None else ""
    return text or None


def gateway_default_findings(tree: etree._ElementTree) -> list[Finding]:
    findings = []
    for scope in _scopes(tree):
        for node_id, node in scope.nodes.items():
            if _local(node) not in ("exclusiveGateway", "inclusiveGateway"):
                continue
            outgoing = scope.outgoing.get(node_id, [])
            if len(outgoing) < 2:
                continue
            if node.get("default") in {flow.get("id") for flow in outgoing}:
                continue
            bare = [flow.get("id") for flow in outgoing if _condition(flow) is None]
            if not bare:
                continue
            findings.append(Finding(
                "gateway-no-default", Severity.ERROR,
                f"gateway {_label(node)} has {len(outgoing)} ways out but no default flow, and "
                f"flow(s) {', '.join(bare)} have no condition. When no condition holds the case stops "
                "with an error. Mark one flow as the default, or give every flow a condition.",
                f"ทางแยก {_label(node)} มีทางออก {len(outgoing)} ทาง แต่ไม่มีทางเลือกปริยาย และเส้นทาง "
                f"{', '.join(bare)} ไม่มีเงื่อนไข หากไม่มีเงื่อนไขใดเป็นจริง คดีจะหยุดด้วยข้อผิดพลาด "
                "ให้กำหนดเส้นทางปริยาย หรือ ใส่เงื่อนไขให้ทุกเส้นทาง",
                node_id, node.sourceline,
            ))
    return findings


def form_key_of(element: etree._Element) -> str | None:
    """The form key of a task or start event, with the precedence parsing uses.

    ``formJsonSchemaFilename`` before ``formKey``; within each, spiff-arena's properties before
    Camunda's properties before Camunda's attribute.
    """
    spiff = {
        prop.get("name"): prop.get("value")
        for prop in element.xpath(
            "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=_NS
        )
    }
    camunda = {
        prop.get("name"): prop.get("value")
        for prop in element.xpath(
            "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=_NS
        )
    }
    for name in ("formJsonSchemaFilename", "formKey"):
        for value in (spiff.get(name), camunda.get(name), element.get(f"{{{CAMUNDA_NS}}}{name}")):
            if value not in (None, ""):
                return value
    return None


def form_findings(tree: etree._ElementTree, forms: FormCatalogue) -> list[Finding]:
    findings = []
    for task in _iter(tree, "userTask"):
        key = form_key_of(task)
        if key is None:
            findings.append(Finding(
                "form-missing", Severity.ERROR,
                f"user task {_label(task)} has no form: the agency would get a task with nothing to "
                "record. Set camunda:formKey, or the spiffworkflow property formJsonSchemaFilename, "
                "to a form in forms/.",
                f"งาน {_label(task)} ไม่มีแบบฟอร์ม หน่วยงานจะได้รับงานที่ไม่มีช่องให้บันทึก "
                "ให้ระบุ camunda:formKey หรือ formJsonSchemaFilename เป็นแบบฟอร์มใน forms/",
                task.get("id"), task.sourceline,
            ))
        elif key not in forms:
            findings.append(Finding(
                "form-unknown", Severity.ERROR,
                f"user task {_label(task)} uses form '{key}', which is not in the forms folder. "
                "Add the JSON Schema, or correct the key.",
                f"งาน {_label(task)} ใช้แบบฟอร์ม '{key}' ซึ่งไม่มีในโฟลเดอร์แบบฟอร์ม "
                "ให้เพิ่มไฟล์ JSON Schema หรือ แก้ชื่อแบบฟอร์มให้ถูกต้อง",
                task.get("id"), task.sourceline,
            ))
    return findings


def gateway_field_findings(tree: etree._ElementTree, forms: FormCatalogue) -> list[Finding]:
    findings = []
    before = _Before(tree)
    elements = {el.get("id"): el for el in tree.getroot().iter() if isinstance(el.tag, str) and el.get("id")}
    for scope in before.scopes.values():
        for flow_id, flow in scope.flows.items():
            condition = _condition(flow)
            source = flow.get("sourceRef")
            if condition is None or source not in scope.nodes:
                continue
            names = _free_names(condition)
            if not names:
                continue
            owners = before.form_owners(source, include_self=True)
            fields: set[str] = set()
            unresolved = False
            for owner in owners:
                key = form_key_of(elements[owner])
                if key is None:
                    # Start events without a form ask nothing; tasks without one are form-missing.
                    unresolved |= _bpmn(elements[owner], "userTask")
                    continue
                known = forms.fields(key)
                if known is None:
                    unresolved = True  # form-unknown says so; guessing here would only add noise
                    continue
                fields |= known
            missing = sorted(names - fields)
            if unresolved or not missing:
                continue
            gateway = scope.nodes[source]
            asked = ", ".join(sorted(fields)) or "-"
            findings.append(Finding(
                "gateway-field-unknown", Severity.ERROR,
                f"the condition on flow '{flow_id}' out of {_label(gateway)} reads "
                f"{', '.join(missing)}, which no form of a task before it asks for (they ask for: "
                f"{asked}). The variable would be missing when the case gets there. Add the field "
                "to an earlier task's form, or correct the name.",
                f"เงื่อนไขบนเส้นทาง '{flow_id}' จาก {_label(gateway)} อ่านค่า {', '.join(missing)} "
                f"ซึ่งไม่มีในแบบฟอร์มของงานก่อนหน้า (แบบฟอร์มมี: {asked}) เมื่อคดีมาถึงจะไม่มีค่านี้ "
                "ให้เพิ่มช่องในแบบฟอร์มของงานก่อนหน้า หรือ แก้ชื่อให้ถูกต้อง",
                flow_id, flow.sourceline,
            ))
    return findings


# -- timers -------------------------------------------------------------------------------------


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def timer_findings(tree: etree._ElementTree, limits: ProtocolLimits | None = None) -> list[Finding]:
    limits = ProtocolLimits() if limits is None else limits
    findings = []
    for element in _iter(tree, *_TIMER_KINDS):
        kind = _TIMER_KINDS[_local(element)]
        text = (element.text or "").strip()
        owner = canvas_element(element)
        owner = element if owner is None else owner
        if not text:
            continue  # the loader refuses empty timers (invalid-timer)
        names = _free_names(text)
        if names and kind == "cycle":
            # How often and how many times a cycle fires must be known before anyone can start a case.
            findings.append(cycle_from_case_data(owner, element, _unquoted(text), names, limits))
            continue
        if names:
            findings.append(Finding(
                "timer-unverifiable", Severity.WARNING,
                f"the timer of {_label(owner)} ({_local(element)} {_unquoted(text)!r}) reads case data "
                f"({', '.join(sorted(names))}), so it can only be checked when a case runs. Rehearse "
                "the protocol with realistic data to see the deadline it gives.",
                f"ตัวจับเวลาของ {_label(owner)} ({_unquoted(text)!r}) ใช้ข้อมูลของคดี "
                f"({', '.join(sorted(names))}) จึงตรวจได้เมื่อคดีทำงานจริงเท่านั้น "
                "ให้ทดลองเดินโพรโทคอล (rehearse) ด้วยข้อมูลจริง",
                owner.get("id"), element.sourceline,
            ))
            continue
        try:
            value = evaluate_constant(text)
            if not isinstance(value, str):
                raise InvalidTimerText(f"it gives {value!r} ({type(value).__name__}), not ISO 8601 text")
            validate_timer_text(kind, value.strip())
        except (InvalidTimerText, expressions.ExpressionError) as exc:
            findings.append(Finding(
                "timer-invalid", Severity.ERROR,
                f"the timer of {_label(owner)} ({_local(element)} {_unquoted(text)!r}) does not give "
                f"a valid ISO 8601 {kind}: {exc}. The deadline would fail when a case reaches it.",
                f"ตัวจับเวลาของ {_label(owner)} ({_unquoted(text)!r}) ไม่ได้ให้ค่าเวลา ISO 8601 ที่ถูกต้อง: "
                f"{exc} กำหนดเวลาจะล้มเหลวเมื่อคดีมาถึง",
                owner.get("id"), element.sourceline,
            ))
        else:
            if kind == "cycle":
                findings += cycle_findings(owner, element, _unquoted(text), value.strip(), limits)
    return findings


# -- messages and escalations -------------------------------------------------------------------


def _messages_by_id(tree: etree._ElementTree) -> dict[str, str]:
    return {
        message.get("id"): (message.get("name") or message.get("id"))
        for message in tree.getroot().iter(f"{{{BPMN_NS}}}message")
        if message.get("id")
    }


def _message_uses(tree: etree._ElementTree, *, throwing: bool) -> Iterator[tuple[etree._Element, str | None]]:
    names = _messages_by_id(tree)
    events = ("intermediateThrowEvent", "endEvent") if throwing else (
        "startEvent", "intermediateCatchEvent", "boundaryEvent"
    )
    tasks = ("sendTask",) if throwing else ("receiveTask",)
    for event in _iter(tree, *events):
        for definition in event.findall(f"{{{BPMN_NS}}}messageEventDefinition"):
            ref = definition.get("messageRef")
            yield event, names.get(ref, ref) if ref else None
    for task in _iter(tree, *tasks):
        ref = task.get("messageRef")
        yield task, names.get(ref, ref) if ref else None


def messages_caught(tree: etree._ElementTree) -> set[str]:
    """Message names a protocol receives: the catalogue other protocols' referrals are checked against."""
    return {name for _, name in _message_uses(tree, throwing=False) if name}


def messages_thrown(tree: etree._ElementTree) -> dict[str, str]:
    """Element id → message name, for every message a protocol sends."""
    return {event.get("id"): name for event, name in _message_uses(tree, throwing=True) if name}


def message_findings(tree: etree._ElementTree, known_messages: set[str] | None) -> list[Finding]:
    local = messages_caught(tree)
    severity = Severity.WARNING if known_messages is None else Severity.ERROR
    findings = []
    for event, name in _message_uses(tree, throwing=True):
        if name is None or name in local or (known_messages is not None and name in known_messages):
            continue
        where = (
            "no protocol in the catalogue starts on it or waits for it"
            if known_messages is not None
            else "no catalogue of the other protocols was given, so nobody is known to catch it"
        )
        where_th = (
            "ไม่มีโพรโทคอลใดในชุดที่รับข้อความนี้"
            if known_messages is not None
            else "ไม่ได้ระบุชุดโพรโทคอลอื่น จึงไม่ทราบว่ามีผู้รับข้อความนี้"
        )
        findings.append(Finding(
            "message-uncaught", severity,
            f"{_local(event)} {_label(event)} sends message '{name}', but {where}: the referral "
            "would go nowhere. Use the message name of the receiving protocol's message start event.",
            f"{_local(event)} {_label(event)} ส่งข้อความ '{name}' แต่{where_th} การส่งต่อจะไม่ถึงใคร "
            "ให้ใช้ชื่อข้อความของเหตุการณ์เริ่มต้นของโพรโทคอลที่รับ",
            event.get("id"), event.sourceline,
        ))
    return findings


def referral_findings(tree: etree._ElementTree, forms: FormCatalogue | None) -> list[Finding]:
    """The legal basis and payload of every message that leaves the protocol."""
    local = messages_caught(tree)
    throws = [(event, name) for event, name in _message_uses(tree, throwing=True) if name and name not in local]
    if not throws:
        return []
    fields_before = None
    if forms is not None:
        before = _Before(tree)
        elements = {el.get("id"): el for el in tree.getroot().iter() if isinstance(el.tag, str) and el.get("id")}

        def fields_before(node_id: str) -> set[str] | None:
            fields: set[str] = set()
            for owner in before.form_owners(node_id, include_self=False):
                key = form_key_of(elements[owner])
                known: frozenset[str] | None = forms.fields(key) if key else frozenset()
                if known is None:
                    return None  # form-unknown says so
                fields |= known
            return fields

    return disclosure_findings(throws, fields_before=fields_before)


def escalation_findings(tree: etree._ElementTree, network: Any) -> list[Finding]:
    # The network's escalation codes arrive with the escalation work; until then there are none.
    codes = getattr(network, "escalation_codes", None) or {}
    escalations = {
        escalation.get("id"): escalation.get("escalationCode")
        for escalation in tree.getroot().iter(f"{{{BPMN_NS}}}escalation")
        if escalation.get("id")
    }
    findings = []
    for event in _iter(tree, "intermediateThrowEvent", "endEvent", "boundaryEvent", "startEvent"):
        for definition in event.findall(f"{{{BPMN_NS}}}escalationEventDefinition"):
            code = escalations.get(definition.get("escalationRef") or "")
            throwing = _local(event) in ("intermediateThrowEvent", "endEvent")
            if not code and not throwing:
                continue  # a catch without a code catches every escalation
            if code and code in codes:
                continue
            known = ", ".join(sorted(codes)) or "none yet"
            problem = f"uses escalation code '{code}', which" if code else "has no escalation code, and"
            problem_th = f"ใช้รหัสการยกระดับ '{code}' ซึ่ง" if code else "ไม่มีรหัสการยกระดับ และ"
            findings.append(Finding(
                "escalation-code-unknown", Severity.ERROR,
                f"{_local(event)} {_label(event)} {problem} the network definition does not "
                f"route (known codes: {known}). Nobody would be told. Use a code from "
                "protocols/network.toml.",
                f"{_local(event)} {_label(event)} {problem_th}ไม่มีในนิยามเครือข่าย "
                f"(รหัสที่มี: {known}) จะไม่มีผู้ใดได้รับแจ้ง ให้ใช้รหัสจาก protocols/network.toml",
                event.get("id"), event.sourceline,
            ))
    return findings


# -- all together -------------------------------------------------------------------------------


def lint_tree(
    tree: etree._ElementTree,
    *,
    network: Any = None,
    forms: FormCatalogue | None = None,
    known_messages: set[str] | None = None,
) -> list[Finding]:
    """Every tree rule, in catalogue order. Form rules need *forms*; escalation codes a *network*."""
    findings: list[Finding] = []
    if forms is not None:
        findings += form_findings(tree, forms)
        findings += gateway_field_findings(tree, forms)
    findings += gateway_default_findings(tree)
    findings += reachability_findings(tree)
    limits = getattr(network, "limits", None) or ProtocolLimits()
    findings += timer_findings(tree, limits)
    findings += constant_findings(tree)
    findings += message_findings(tree, known_messages)
    findings += referral_findings(tree, forms)
    if network is not None:
        findings += escalation_findings(tree, network)
    findings += back_edge_findings(tree)
    findings += size_findings(tree, limits, fields=None if forms is None else _form_fields(tree, forms))
    findings += language_findings(tree)
    return findings


def _form_fields(tree: etree._ElementTree, forms: FormCatalogue) -> FieldLookup:
    """Where a multi-instance finds the forms that bound its list: the forms filled in before it."""
    before = _Before(tree)
    elements = {el.get("id"): el for el in tree.getroot().iter() if isinstance(el.tag, str) and el.get("id")}

    def lookup(node_id: str, name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for owner in sorted(before.form_owners(node_id, include_self=False)):
            key = form_key_of(elements[owner])
            schema = forms.get(key) if key else None
            if schema is not None:
                found += field_schemas(schema, name)
        return found

    return lookup


__all__ = [
    "LINT_NOW",
    "RULES",
    "Rule",
    "executable_processes",
    "form_key_of",
    "is_flow_node",
    "lint_tree",
    "messages_caught",
    "messages_thrown",
]
