"""Lint against the network's ``[limits]``: what one protocol may ask of the engine.

A published protocol runs in every case started on it, inside commands that hold locks. A
repeating timer with no gap spins the engine, one that repeats without end floods a case with
escalations, and a protocol thousands of parallel tasks wide makes every step of its cases
slow. The limits are set in ``protocols/network.toml`` (``ProtocolLimits``); each finding here
names the element to change.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lxml import etree

from engine.network.definition import ProtocolLimits
from engine.protocols.constants import LINT_NOW, evaluate_constant, free_names
from engine.protocols.findings import Finding, Severity
from engine.protocols.graph import (
    Scope,
    closing_edges,
    entries,
    executable_processes,
    is_compensation,
    is_event_subprocess,
    iter_executable,
    label,
    local_name,
    scopes,
)
from engine.protocols.loading import BPMN_NS
from engine.workflow.expressions import ExpressionError
from engine.workflow.timers import parse_duration

# (id of the node a variable is read at, variable name) → the JSON Schemas the forms before that
# node give the field (empty when no form asks for it).
FieldLookup = Callable[[str, str], list[dict[str, Any]]]

# The loader has already checked the shape (validate_timer_text): a count, then a start or end
# date-time and one duration, in either order.
_CYCLE = re.compile(r"R([0-9]*)/(.+)", re.ASCII)
# What a modeller is shown as a bounded example, whatever the limit allows.
_EXAMPLE_COUNT = 30


# -- repeating timers ---------------------------------------------------------------------------


def _cycle_parts(value: str) -> tuple[int | None, datetime | None, str]:
    """(count or None for unbounded, anchor date-time or None, interval duration text)."""
    match = _CYCLE.fullmatch(value)
    if match is None:
        raise ValueError(f"not a repeating interval: {value!r}")
    parts = match.group(2).split("/")
    duration = next(part for part in parts if part.startswith("P"))
    anchors = [datetime.fromisoformat(part) for part in parts if not part.startswith("P")]
    return (int(match.group(1)) if match.group(1) else None), (anchors[0] if anchors else None), duration


def cycle_findings(
    owner: etree._Element, element: etree._Element, written: str, value: str, limits: ProtocolLimits
) -> list[Finding]:
    """Findings for one repeating timer whose value (*value*, from *written*) is known."""
    count, anchor, duration = _cycle_parts(value)
    start = anchor or LINT_NOW
    interval = parse_duration(duration, start=start)
    floor = parse_duration(limits.min_cycle_interval, start=start)
    what, where = f"the repeating timer of {label(owner)} ({written!r})", owner.get("id")
    what_th = f"ตัวจับเวลาแบบวนซ้ำของ {label(owner)} ({written!r})"
    gap = limits.min_cycle_interval if interval < floor else duration
    example = f"R{min(_EXAMPLE_COUNT, limits.max_cycle_repetitions)}/{gap}"
    findings = []
    if interval < floor:
        findings.append(Finding(
            "timer-cycle-too-frequent", Severity.ERROR,
            f"{what} fires every {duration}; the network allows a repeating timer at most once every "
            f"{limits.min_cycle_interval} (limits.min_cycle_interval in network.toml). Repeating faster floods the "
            f"case with escalations, and a zero gap stalls the engine. Repeat no more often than "
            f"every {limits.min_cycle_interval}, e.g. {example}.",
            f"{what_th} ทำงานทุก {duration} ถี่กว่าที่เครือข่ายกำหนด (ไม่ถี่กว่าทุก {limits.min_cycle_interval}) "
            "การวนถี่เช่นนี้จะทำให้มีการยกระดับท่วมคดี และถ้าไม่มีช่วงห่างเลยระบบจะค้าง "
            f"ให้ตั้งรอบให้ห่างอย่างน้อย {limits.min_cycle_interval} เช่น {example}",
            where, element.sourceline,
        ))
    if count is None or count > limits.max_cycle_repetitions:
        if count is None:
            problem = "repeats without end (no count after the R)"
            problem_th = "ไม่มีจำนวนรอบ จึงทำงานซ้ำไม่สิ้นสุด"
        else:
            problem = f"repeats {count} times"
            problem_th = f"ทำงานซ้ำ {count} รอบ"
        findings.append(Finding(
            "timer-cycle-unbounded", Severity.ERROR,
            f"{what} {problem}; the network allows at most {limits.max_cycle_repetitions} repetitions "
            "(limits.max_cycle_repetitions in network.toml). Every firing adds work and escalations to the case for "
            f"as long as it runs. Write the count, e.g. {example}.",
            f"{what_th} {problem_th} เกินกว่าที่เครือข่ายกำหนด (ไม่เกิน {limits.max_cycle_repetitions} รอบ) "
            f"ทุกรอบจะเพิ่มงานและการยกระดับให้คดี ให้กำหนดจำนวนรอบ เช่น {example}",
            where, element.sourceline,
        ))
    return findings


def cycle_from_case_data(
    owner: etree._Element, element: etree._Element, written: str, names: set[str], limits: ProtocolLimits
) -> Finding:
    """A repeating timer that reads case data: lint cannot bound it, so it is refused."""
    read = ", ".join(sorted(names))
    example = f"R{min(_EXAMPLE_COUNT, limits.max_cycle_repetitions)}/P1D"
    return Finding(
        "timer-cycle-unbounded", Severity.ERROR,
        f"the repeating timer of {label(owner)} ({local_name(element)} {written!r}) takes its count or "
        f"interval from case data ({read}), so nobody can tell before a case runs how often or how "
        f"many times it fires. Write the cycle as a constant within the network's limits (at most "
        f"{limits.max_cycle_repetitions} times, at most once every {limits.min_cycle_interval}), "
        f"e.g. {example}.",
        f"ตัวจับเวลาแบบวนซ้ำของ {label(owner)} ({written!r}) ใช้ข้อมูลของคดี ({read}) กำหนดรอบ "
        "จึงตรวจไม่ได้ว่าจะทำงานถี่เพียงใดและกี่รอบ ให้เขียนรอบเป็นค่าคงที่ภายในขอบเขตของเครือข่าย "
        f"(ไม่เกิน {limits.max_cycle_repetitions} รอบ ไม่ถี่กว่าทุก {limits.min_cycle_interval}) เช่น {example}",
        owner.get("id"), element.sourceline,
    )


# -- size and width -----------------------------------------------------------------------------

_PARALLEL_GATEWAYS = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
_SUBPROCESS_KINDS = frozenset({"subProcess", "transaction", "adHocSubProcess"})


def size_findings(
    tree: etree._ElementTree, limits: ProtocolLimits, *, fields: FieldLookup | None = None
) -> list[Finding]:
    """Flow nodes, parallel branches, multi-instance counts and concurrent tokens, against *limits*.

    *fields* finds the form fields a multi-instance takes its count from; without it such a
    count is unverifiable (a warning).
    """
    too_big = flow_node_findings(tree, limits)
    if too_big:
        # Nothing else is measured: the protocol is refused anyway, and could be enormous.
        return too_big
    all_scopes = scopes(tree)
    findings = _branch_findings(all_scopes, limits)
    instances, multi_instance = _multi_instance_findings(tree, limits, fields)
    findings += multi_instance
    reported = {finding.element_id for finding in findings}
    findings += _concurrency_findings(all_scopes, limits, instances, reported)
    return findings


def _canvas_process(tree: etree._ElementTree) -> etree._Element:
    """The executable process, or the pool (participant) that draws it."""
    process = executable_processes(tree)[0]
    for participant in tree.getroot().iter(f"{{{BPMN_NS}}}participant"):
        if participant.get("processRef") == process.get("id"):
            return participant
    return process


def flow_node_findings(tree: etree._ElementTree, limits: ProtocolLimits) -> list[Finding]:
    """``too-many-flow-nodes``, cheap enough to ask before SpiffWorkflow reads the model.

    (SpiffWorkflow's parser takes seconds over thousands of nodes; a refused upload should not.)
    """
    count = sum(len(scope.nodes) for scope in scopes(tree))
    if count <= limits.max_flow_nodes:
        return []
    where = _canvas_process(tree)
    return [Finding(
        "too-many-flow-nodes", Severity.ERROR,
        f"the protocol {label(where)} has {count} flow nodes (tasks, events, gateways and "
        f"subprocesses, counting what is inside subprocesses); the network allows at most "
        f"{limits.max_flow_nodes} (limits.max_flow_nodes in network.toml). Every case carries all of them, so "
        "every step of every case would be slow. Split it into protocols that refer cases to each other.",
        f"โพรโทคอล {label(where)} มี {count} องค์ประกอบ (งาน เหตุการณ์ ทางแยก และกระบวนการย่อย "
        f"รวมที่อยู่ภายในกระบวนการย่อย) เกินกว่าที่เครือข่ายกำหนด (ไม่เกิน {limits.max_flow_nodes}) "
        "ทุกคดีต้องแบกองค์ประกอบทั้งหมด ทุกขั้นตอนจึงช้า ให้แบ่งเป็นหลายโพรโทคอลที่ส่งต่อคดีถึงกัน",
        where.get("id"), where.sourceline,
    )]


def _splits_in_parallel(node: etree._Element, outgoing: int) -> bool:
    # An activity or event with several outgoing flows starts them all, as a parallel split does
    # (conditional ones as an inclusive split does).
    kind = local_name(node)
    return kind in _PARALLEL_GATEWAYS or (outgoing > 1 and not kind.endswith("Gateway"))


def _branch_findings(all_scopes: list[Scope], limits: ProtocolLimits) -> list[Finding]:
    findings = []
    for scope in all_scopes:
        for node_id, node in scope.nodes.items():
            branches = len(scope.outgoing.get(node_id, []))
            if branches <= limits.max_parallel_branches or not _splits_in_parallel(node, branches):
                continue
            findings.append(Finding(
                "too-many-branches", Severity.ERROR,
                f"{local_name(node)} {label(node)} starts {branches} parallel branches; the network "
                f"allows at most {limits.max_parallel_branches} (limits.max_parallel_branches in network.toml). "
                "Every branch is live work the engine tracks at every step of the case. Use one "
                "multi-instance task over a list instead, or split the work between protocols.",
                f"{local_name(node)} {label(node)} แยกงานขนานเป็น {branches} ทาง เกินกว่าที่เครือข่ายกำหนด "
                f"(ไม่เกิน {limits.max_parallel_branches} ทาง) ทุกทางเป็นงานที่ระบบต้องติดตามทุกขั้นตอนของคดี "
                "ให้ใช้งานแบบหลายอินสแตนซ์งานเดียวกับรายการแทน หรือ แบ่งงานไปยังโพรโทคอลอื่น",
                node_id, node.sourceline,
            ))
    return findings


# -- multi-instance -----------------------------------------------------------------------------


def _counted_variable(expression: str) -> tuple[str, str] | None:
    """``n`` → (n, "number"); ``len(items)`` → (items, "list"); anything else → None."""
    try:
        body = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if isinstance(body, ast.Name):
        return body.id, "number"
    if (
        isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "len"
        and len(body.args) == 1 and not body.keywords and isinstance(body.args[0], ast.Name)
    ):
        return body.args[0].id, "list"
    return None


def _schema_bound(schema: Mapping[str, Any], shape: str) -> int | None:
    """The most a form field can hold (items of a list, value of a number), or None if unbounded."""
    if shape == "list" or schema.get("type") == "array" or "maxItems" in schema:
        bound = schema.get("maxItems")
    else:
        bound = schema.get("maximum")
        if bound is None and isinstance(schema.get("exclusiveMaximum"), (int, float)):
            bound = schema["exclusiveMaximum"] - 1
    if isinstance(bound, bool) or not isinstance(bound, (int, float)):
        return None
    return int(bound)


def _text_of(characteristics: etree._Element, local: str) -> str:
    child = characteristics.find(f"{{{BPMN_NS}}}{local}")
    return (child.text or "").strip() if child is not None else ""


def _instance_count(
    activity: etree._Element, characteristics: etree._Element, fields: FieldLookup | None
) -> tuple[int | None, str, str | None]:
    """(most instances or None, where that number comes from, unverifiable variable or None)."""
    cardinality = _text_of(characteristics, "loopCardinality")
    if cardinality and not free_names(cardinality):
        try:
            value = evaluate_constant(cardinality)
        except ExpressionError:
            return 0, "", None  # expression-fails reports it
        if isinstance(value, bool) or not isinstance(value, int):
            return 0, "", None
        return value, f"loopCardinality {cardinality}", None
    collection = _text_of(characteristics, "loopDataInputRef")
    counted = _counted_variable(cardinality) if cardinality else ((collection, "list") if collection else None)
    if counted is None:
        return None, "", cardinality or collection or None
    variable, shape = counted
    schemas = fields(activity.get("id"), variable) if fields is not None else []
    if not schemas:
        return None, "", variable
    bounds = [_schema_bound(schema, shape) for schema in schemas]
    if any(bound is None for bound in bounds):
        limit_word = "maxItems" if shape == "list" else "maximum"
        return -1, f"form field '{variable}' sets no {limit_word}", None
    most = max(bound for bound in bounds if bound is not None)
    return most, f"form field '{variable}' allows {most}", None


def _multi_instance_findings(
    tree: etree._ElementTree, limits: ProtocolLimits, fields: FieldLookup | None
) -> tuple[dict[str, int], list[Finding]]:
    """Instances per parallel multi-instance activity (when known), and the findings."""
    instances: dict[str, int] = {}
    findings: list[Finding] = []
    most = limits.max_multi_instance
    for characteristics in iter_executable(tree, "multiInstanceLoopCharacteristics"):
        activity = characteristics.getparent()
        count, source, unknown = _instance_count(activity, characteristics, fields)
        what = f"{local_name(activity)} {label(activity)}"
        if unknown is not None:
            findings.append(Finding(
                "multi-instance-unverifiable", Severity.WARNING,
                f"the multi-instance {what} takes its number of instances from case data "
                f"({unknown}) that no form before it bounds, so lint cannot hold it to the network's "
                f"limit of {most}. Take the list from a form field with maxItems (or the number from "
                f"one with maximum) of at most {most}.",
                f"งานแบบหลายอินสแตนซ์ {what} ใช้จำนวนอินสแตนซ์จากข้อมูลของคดี ({unknown}) "
                f"ซึ่งไม่มีแบบฟอร์มก่อนหน้าใดจำกัดไว้ จึงตรวจกับขีดจำกัดของเครือข่าย ({most}) ไม่ได้ "
                f"ให้รับรายการจากช่องของแบบฟอร์มที่กำหนด maxItems (หรือ maximum สำหรับตัวเลข) ไม่เกิน {most}",
                activity.get("id"), characteristics.sourceline,
            ))
            continue
        if count is None:
            continue
        if count < 0 or count > most:
            shown = source if count < 0 else f"{count} instances ({source})"
            findings.append(Finding(
                "multi-instance-too-many", Severity.ERROR,
                f"the multi-instance {what} may run {shown}; the network allows at most {most} "
                "(limits.max_multi_instance in network.toml). Each instance is a task the engine tracks at every "
                f"step of the case. Bound the list to {most} (maxItems in its form), or split the work.",
                f"งานแบบหลายอินสแตนซ์ {what} อาจมีได้ {shown} เกินกว่าที่เครือข่ายกำหนด (ไม่เกิน {most}) "
                "แต่ละอินสแตนซ์เป็นงานที่ระบบต้องติดตามทุกขั้นตอนของคดี "
                f"ให้จำกัดรายการไม่เกิน {most} (maxItems ในแบบฟอร์ม) หรือ แบ่งงาน",
                activity.get("id"), characteristics.sourceline,
            ))
        if characteristics.get("isSequential") != "true":
            instances[activity.get("id")] = max(count, 1) if count >= 0 else most + 1
    return instances, findings


# -- concurrent tokens --------------------------------------------------------------------------
#
# How much work one case can hold at once: tokens resting in tasks, catch events and
# subprocesses. Within a scope the flow graph (without the flows that close loops) is cut into
# regions by post-dominators: a split's region ends where all its ways out meet again. A region
# holds the sum of its branches for a parallel split (an activity with several flows out counts
# as one), the largest branch for an exclusive choice, and the weight of its node otherwise: 1
# for a task, its instances for a parallel multi-instance, what its inside holds for a
# subprocess. A non-interrupting boundary event's path runs beside its activity and whatever
# follows. Start events are alternatives; event subprocesses may run beside everything else.
# It is an upper bound: every condition is taken to hold, every deadline to fire.

_EXIT = ""
# Where a token can rest while the case waits; start, end and throw events, exclusive gateways and
# boundary events (which listen only while their activity runs) pass it straight on.
_RESTING = frozenset({
    "task", "userTask", "manualTask", "sendTask", "receiveTask", "businessRuleTask", "scriptTask",
    "serviceTask", "callActivity", "intermediateCatchEvent", "eventBasedGateway", *_SUBPROCESS_KINDS,
})


class _Concurrency:
    def __init__(self, all_scopes: list[Scope], instances: Mapping[str, int]) -> None:
        self.by_id = {scope.element.get("id"): scope for scope in all_scopes}
        self.instances = instances
        self.held: dict[str | None, tuple[int, str | None]] = {}

    def of_scope(self, scope: Scope) -> tuple[int, str | None]:
        """(most tokens the scope holds at once, id of the element that makes it that many)."""
        key = scope.element.get("id")
        if key not in self.held:
            self.held[key] = self._measure(scope)
        return self.held[key]

    def weight(self, node: etree._Element) -> int:
        """Tokens a node holds while a case waits there: none for events that pass straight on."""
        kind = local_name(node)
        if kind not in _RESTING:
            return 0
        inner = 1
        if kind in _SUBPROCESS_KINDS and node.get("id") in self.by_id:
            inner = max(self.of_scope(self.by_id[node.get("id")])[0], 1)
        return inner * self.instances.get(node.get("id"), 1)

    def _measure(self, scope: Scope) -> tuple[int, str | None]:
        triggered = [n for n, node in scope.nodes.items() if is_event_subprocess(node) or is_compensation(node)]
        if scope.ad_hoc:
            # Any of its activities may be started at any moment, all of them at once.
            total = sum(self.weight(node) for node in scope.nodes.values())
            return total, scope.element.get("id")
        regions = _Regions(scope, set(triggered), self.weight)
        starts = [n for n in entries(scope) if n not in triggered]
        best, culprit = 0, None
        for start in starts:
            held, where = regions.chain(start, _EXIT)
            if held > best and where is not None:
                best, culprit = held, regions.source(where)
        for node_id in triggered:
            if is_event_subprocess(scope.nodes[node_id]):
                extra = self.weight(scope.nodes[node_id])
                best += extra
                culprit = culprit if culprit is not None else node_id
        return best, culprit


class _Regions:
    """Post-dominator regions of one scope's acyclic flow graph, and what each region holds."""

    def __init__(self, scope: Scope, skip: set[str], weight: Callable[[etree._Element], int]) -> None:
        self.scope = scope
        self.weight = weight
        nodes = [n for n in scope.nodes if n not in skip]
        known = set(nodes)
        self.flows: dict[str, list[str]] = defaultdict(list)
        self.boundaries: dict[str, list[str]] = defaultdict(list)
        edges: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
        for source in nodes:
            for target in scope.successors.get(source, []):
                if target in known:
                    edges[source].append((source, target, False))
            for event in scope.boundaries.get(source, []):
                if event in known:
                    edges[source].append((source, event, True))
        starts = [n for n in entries(scope) if n in known]
        closing = set(closing_edges(starts + nodes, edges, lambda edge: edge[1]))
        for source in nodes:
            for edge in edges[source]:
                if edge not in closing:
                    (self.boundaries if edge[2] else self.flows)[source].append(edge[1])
        self.ipdom: dict[str, str] = {}
        self.depth: dict[str, int] = {_EXIT: 0}
        self.held: dict[str, int] = {}
        for node in self._sinks_first(nodes):
            following = self.flows[node] + self.boundaries[node]
            meet = following[0] if following else _EXIT
            for other in following[1:]:
                meet = self._meet(meet, other)
            self.ipdom[node] = meet
            self.depth[node] = self.depth[meet] + 1
            self.held[node] = self._region(node)

    def _sinks_first(self, nodes: list[str]) -> list[str]:
        order: list[str] = []
        done: set[str] = set()
        for root in nodes:
            if root in done:
                continue
            done.add(root)
            stack = [(root, iter(self.flows[root] + self.boundaries[root]))]
            while stack:
                node, following = stack[-1]
                step = next(following, None)
                if step is None:
                    order.append(node)
                    stack.pop()
                elif step not in done:
                    done.add(step)
                    stack.append((step, iter(self.flows[step] + self.boundaries[step])))
        return order

    def _meet(self, a: str, b: str) -> str:
        while a != b:
            if self.depth[a] >= self.depth[b]:
                a = self.ipdom[a]
            else:
                b = self.ipdom[b]
        return a

    def chain(self, start: str, stop: str) -> tuple[int, str | None]:
        """Most tokens held from *start* until *stop*, and the node whose region holds them."""
        best, where, node = 0, None, start
        while node != stop and node != _EXIT:
            if self.held[node] > best:
                best, where = self.held[node], node
            node = self.ipdom[node]
        return best, where

    def source(self, node_id: str) -> str:
        """The node that makes *node_id*'s region hold what it does: a split, or what a choice leads to."""
        while True:
            node = self.scope.nodes[node_id]
            held = self.held[node_id]
            flows = self.flows[node_id]
            if held == self.weight(node) or _splits_in_parallel(node, len(flows)):
                return node_id
            if any(self.scope.nodes[e].get("cancelActivity") == "false" for e in self.boundaries[node_id]):
                return node_id
            meet = self.ipdom[node_id]
            for target in flows + self.boundaries[node_id]:
                most, where = self.chain(target, meet)
                if most == held and where is not None:
                    node_id = where
                    break
            else:
                return node_id

    def _branch(self, start: str, stop: str) -> int:
        return self.chain(start, stop)[0]

    def _region(self, node_id: str) -> int:
        node = self.scope.nodes[node_id]
        meet = self.ipdom[node_id]
        flows = self.flows[node_id]
        if not flows:
            ahead = 0
        elif _splits_in_parallel(node, len(flows)):
            ahead = sum(self._branch(target, meet) for target in flows)
        else:
            ahead = max(self._branch(target, meet) for target in flows)
        beside, instead = 0, 0
        for event in self.boundaries[node_id]:
            if self.scope.nodes[event].get("cancelActivity") == "false":
                beside += self._branch(event, meet)
            else:
                instead = max(instead, self._branch(event, meet))
        return max(self.weight(node), ahead, instead) + beside


def _concurrency_findings(
    all_scopes: list[Scope], limits: ProtocolLimits, instances: Mapping[str, int], reported: set[str | None]
) -> list[Finding]:
    measure = _Concurrency(all_scopes, instances)
    top = all_scopes[0] if all_scopes else None
    if top is None:
        return []
    held, culprit = measure.of_scope(top)
    if held <= limits.max_concurrent_tokens or culprit in reported:
        return []
    node = top.nodes.get(culprit or "", top.element)
    return [Finding(
        "too-many-concurrent-tokens", Severity.ERROR,
        f"{local_name(node)} {label(node)} lets one case hold up to {held} pieces of live work at "
        "once (parallel branches, splits inside splits and multi-instances multiply); the network "
        f"allows at most {limits.max_concurrent_tokens} (limits.max_concurrent_tokens in network.toml). The engine "
        "walks all of them at every step of the case. Use fewer parallel branches or instances, "
        "or refer part of the work to another protocol.",
        f"{local_name(node)} {label(node)} ทำให้คดีหนึ่งมีงานที่ดำเนินพร้อมกันได้ถึง {held} งาน "
        "(ทางแยกขนาน ทางแยกซ้อนกัน และงานแบบหลายอินสแตนซ์คูณกัน) เกินกว่าที่เครือข่ายกำหนด "
        f"(ไม่เกิน {limits.max_concurrent_tokens} งาน) ระบบต้องไล่ดูงานทั้งหมดทุกขั้นตอนของคดี "
        "ให้ลดทางแยกขนานหรือจำนวนอินสแตนซ์ หรือ ส่งงานบางส่วนไปยังโพรโทคอลอื่น",
        node.get("id"), node.sourceline,
    )]


__all__ = ["FieldLookup", "cycle_findings", "cycle_from_case_data", "flow_node_findings", "size_findings"]
