"""What changed between two versions of a protocol, element by element.

Elements are matched by id, which is what a running case and the version's task catalogue know
them by: a changed name on the same id is a rename; a new id is an addition, even when it looks
like the old element moved. Policy staff read the result before publishing (as text, in Thai and
English) and the editor shows it (as JSON).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from engine.errors import ProtocolInvalid
from engine.network.definition import Network
from engine.protocols.lint import executable_processes, form_key_of, is_flow_node
from engine.protocols.loading import BPMN_NS, ProtocolRejected, load_bpmn
from engine.protocols.parsing import _lanes_by_node, _rejection_finding

_TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")
_THAI_KINDS = {
    "userTask": "งาน",
    "manualTask": "งานภายนอกระบบ",
    "task": "งาน",
    "exclusiveGateway": "ทางแยก",
    "inclusiveGateway": "ทางแยกแบบรวม",
    "parallelGateway": "ทางแยกขนาน",
    "eventBasedGateway": "ทางแยกตามเหตุการณ์",
    "startEvent": "จุดเริ่มต้น",
    "endEvent": "จุดสิ้นสุด",
    "boundaryEvent": "เหตุการณ์ขอบงาน",
    "intermediateCatchEvent": "เหตุการณ์รอ",
    "intermediateThrowEvent": "เหตุการณ์ส่ง",
    "subProcess": "กระบวนการย่อย",
    "sequenceFlow": "เส้นทาง",
}
CATEGORIES = ("added", "removed", "renamed", "retyped", "moved", "rewired", "timers", "conditions", "forms")


@dataclass(frozen=True)
class Element:
    """One element as the diff sees it."""

    id: str
    type: str
    name: str | None = None
    lane: str | None = None
    timer: dict[str, Any] | None = None
    condition: str | None = None
    default_flow: str | None = None
    form_key: str | None = None
    source: str | None = None
    target: str | None = None

    def describe(self) -> str:
        return f"'{self.id}'" + (f' "{self.name}"' if self.name else "")


@dataclass(frozen=True)
class Change:
    """One property of one element, before and after."""

    element_id: str
    type: str
    name: str | None
    old: Any
    new: Any


@dataclass
class ProtocolDiff:
    old_process: dict[str, str | None]
    new_process: dict[str, str | None]
    added: list[Element] = field(default_factory=list)
    removed: list[Element] = field(default_factory=list)
    renamed: list[Change] = field(default_factory=list)
    retyped: list[Change] = field(default_factory=list)
    moved: list[Change] = field(default_factory=list)
    rewired: list[Change] = field(default_factory=list)
    timers: list[Change] = field(default_factory=list)
    conditions: list[Change] = field(default_factory=list)
    forms: list[Change] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, category) for category in CATEGORIES)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"old": self.old_process, "new": self.new_process}
        for category in CATEGORIES:
            # Elements drop what they lack; a change keeps None, which means "there was none".
            data[category] = [
                {key: value for key, value in asdict(item).items() if value is not None}
                if isinstance(item, Element) else asdict(item)
                for item in getattr(self, category)
            ]
        data["summary"] = {category: len(getattr(self, category)) for category in CATEGORIES}
        return data

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def as_text(self) -> str:
        """Two lines per change, Thai then English."""
        lines: list[str] = []
        if self.is_empty:
            return "ไม่มีการเปลี่ยนแปลง\nno changes"
        for element in self.added:
            where_th = f" ในช่อง {element.lane}" if element.lane else ""
            where_en = f" in lane {element.lane}" if element.lane else ""
            lines.append(f"+ เพิ่ม {_thai(element.type)} {element.describe()}{where_th}")
            lines.append(f"+ added {element.type} {element.describe()}{where_en}")
        for element in self.removed:
            lines.append(f"- ลบ {_thai(element.type)} {element.describe()}")
            lines.append(f"- removed {element.type} {element.describe()}")
        for change in self.renamed:
            lines.append(f"~ เปลี่ยนชื่อ {_thai(change.type)} '{change.element_id}': {_show(change.old)} → {_show(change.new)}")
            lines.append(f"~ renamed {change.type} '{change.element_id}': {_show(change.old)} → {_show(change.new)}")
        for change in self.retyped:
            lines.append(f"~ เปลี่ยนชนิด '{change.element_id}': {change.old} → {change.new}")
            lines.append(f"~ changed type of '{change.element_id}': {change.old} → {change.new}")
        for change in self.moved:
            lines.append(f"~ ย้ายช่อง {_thai(change.type)} '{change.element_id}': {_show(change.old)} → {_show(change.new)}")
            lines.append(f"~ moved {change.type} '{change.element_id}' between lanes: {_show(change.old)} → {_show(change.new)}")
        for change in self.rewired:
            lines.append(f"~ ต่อเส้นทาง '{change.element_id}' ใหม่: {_show(change.old)} → {_show(change.new)}")
            lines.append(f"~ rewired flow '{change.element_id}': {_show(change.old)} → {_show(change.new)}")
        for change in self.timers:
            lines.append(f"~ เปลี่ยนเวลา '{change.element_id}': {_timer(change.old)} → {_timer(change.new)}")
            lines.append(f"~ timer of '{change.element_id}' changed: {_timer(change.old)} → {_timer(change.new)}")
        for change in self.conditions:
            lines.append(f"~ เปลี่ยนเงื่อนไข {_thai(change.type)} '{change.element_id}': {_show(change.old)} → {_show(change.new)}")
            lines.append(f"~ condition of {change.type} '{change.element_id}' changed: {_show(change.old)} → {_show(change.new)}")
        for change in self.forms:
            lines.append(f"~ เปลี่ยนแบบฟอร์ม '{change.element_id}': {_show(change.old)} → {_show(change.new)}")
            lines.append(f"~ form of '{change.element_id}' changed: {_show(change.old)} → {_show(change.new)}")
        return "\n".join(lines)


def _thai(kind: str) -> str:
    return _THAI_KINDS.get(kind, kind)


def _show(value: Any) -> str:
    if value is None:
        return "(ไม่มี / none)"
    if isinstance(value, dict):
        return " → ".join(f"{value.get(k)}" for k in ("source", "target"))
    return f'"{value}"'


def _timer(value: dict[str, Any] | None) -> str:
    if value is None:
        return "(ไม่มี / none)"
    text = f"{value['kind']} {value['value']}"
    if value.get("interrupting") is not None:
        text += " (interrupting)" if value["interrupting"] else " (non-interrupting)"
    return text


def _unquote(text: str) -> str:
    # The loader quotes ISO literals for SpiffWorkflow's evaluator; people wrote them unquoted.
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _timer_of(node: etree._Element) -> dict[str, Any] | None:
    definition = node.find(f"{{{BPMN_NS}}}timerEventDefinition")
    if definition is None:
        return None
    for kind in _TIMER_KINDS:
        value = definition.find(f"{{{BPMN_NS}}}{kind}")
        if value is not None:
            interrupting = None
            if etree.QName(node).localname == "boundaryEvent":
                interrupting = node.get("cancelActivity", "true") != "false"
            return {"kind": kind, "value": _unquote((value.text or "").strip()), "interrupting": interrupting}
    return {"kind": None, "value": None, "interrupting": None}


def _elements(data: bytes | str, *, network: Network, which: str) -> tuple[dict[str, str | None], dict[str, Element]]:
    try:
        tree = load_bpmn(data, filename=f"{which}.bpmn")
    except ProtocolRejected as exc:
        finding = _rejection_finding(exc)
        raise ProtocolInvalid(f"the {which} protocol cannot be read: {finding}", [finding]) from exc
    processes = executable_processes(tree)
    if not processes:
        raise ProtocolInvalid(f"the {which} protocol has no executable process")
    process = processes[0]
    lanes = _lanes_by_node(tree)
    elements: dict[str, Element] = {}
    for node in process.iter():
        if not isinstance(node.tag, str) or not node.get("id") or node is process:
            continue
        kind = etree.QName(node).localname
        if kind != "sequenceFlow" and not is_flow_node(node):
            continue
        lane_id, lane_name = lanes.get(node.get("id"), (None, None))
        assignment = network.assign_lane(lane_name, lane_id)
        lane = (
            assignment.agency_code + (f"/{assignment.role}" if assignment.role else "")
            if assignment else (lane_name or lane_id)
        )
        condition = None
        expression = node.find(f"{{{BPMN_NS}}}conditionExpression") if kind == "sequenceFlow" else None
        if expression is not None:
            condition = (expression.text or "").strip() or None
        elements[node.get("id")] = Element(
            id=node.get("id"),
            type=kind,
            name=(node.get("name") or "").strip() or None,
            lane=None if kind == "sequenceFlow" else lane,
            timer=_timer_of(node),
            condition=condition,
            default_flow=node.get("default"),
            form_key=form_key_of(node) if kind in ("userTask", "manualTask", "startEvent") else None,
            source=node.get("sourceRef"),
            target=node.get("targetRef"),
        )
    return {"id": process.get("id"), "name": process.get("name")}, elements


def diff_protocols(old_bpmn: bytes | str, new_bpmn: bytes | str, *, network: Network) -> ProtocolDiff:
    """Compare two protocol files; raises :class:`ProtocolInvalid` if either cannot be read."""
    old_process, old = _elements(old_bpmn, network=network, which="old")
    new_process, new = _elements(new_bpmn, network=network, which="new")
    diff = ProtocolDiff(old_process=old_process, new_process=new_process)
    diff.added = [new[i] for i in new if i not in old]
    diff.removed = [old[i] for i in old if i not in new]
    for element_id, before in old.items():
        after = new.get(element_id)
        if after is None:
            continue

        def change(old_value: Any, new_value: Any, after: Element = after) -> Change:
            return Change(after.id, after.type, after.name, old_value, new_value)

        if before.name != after.name:
            diff.renamed.append(change(before.name, after.name))
        if before.type != after.type:
            diff.retyped.append(change(before.type, after.type))
        if before.lane != after.lane:
            diff.moved.append(change(before.lane, after.lane))
        if (before.source, before.target) != (after.source, after.target):
            diff.rewired.append(change(
                {"source": before.source, "target": before.target},
                {"source": after.source, "target": after.target},
            ))
        if before.timer != after.timer:
            diff.timers.append(change(before.timer, after.timer))
        if before.condition != after.condition:
            diff.conditions.append(change(before.condition, after.condition))
        if before.default_flow != after.default_flow:
            # A gateway's default flow is the condition "none of the others".
            diff.conditions.append(change(
                f"default: {before.default_flow}" if before.default_flow else None,
                f"default: {after.default_flow}" if after.default_flow else None,
            ))
        if before.form_key != after.form_key:
            diff.forms.append(change(before.form_key, after.form_key))
    return diff
