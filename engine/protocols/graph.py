"""The flow graph of a protocol, as the lint rules read it.

Scopes (the process and each subprocess) with their flow nodes, sequence flows, link jumps and
boundary events; where a scope starts; what is reachable; and which user tasks (and start
forms) can have run before a node. Read from the lxml tree, never from SpiffWorkflow.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from engine.protocols.loading import BPMN_NS

SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
_NOT_FLOW_NODES = frozenset({
    "sequenceFlow", "laneSet", "lane", "documentation", "extensionElements", "ioSpecification",
    "property", "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation",
    "association", "group", "standardLoopCharacteristics", "multiInstanceLoopCharacteristics",
    "incoming", "outgoing", "ioBinding", "category",
})


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def is_bpmn(element: etree._Element, local: str) -> bool:
    return element.tag == f"{{{BPMN_NS}}}{local}"


def label(element: etree._Element) -> str:
    """How a finding names an element: its name and id, or its id alone."""
    name = (element.get("name") or "").strip()
    return f"'{name}' ({element.get('id')})" if name else f"'{element.get('id')}'"


def executable_processes(tree: etree._ElementTree) -> list[etree._Element]:
    # SpiffWorkflow's own test: a process without the attribute is executable. Other processes
    # are documentation (a partner's pool, say) and never run, so no rule looks inside them.
    return [
        process for process in tree.getroot().iter(f"{{{BPMN_NS}}}process")
        if process.get("isExecutable", "true") == "true"
    ]


def iter_executable(tree: etree._ElementTree, *locals_: str) -> Iterator[etree._Element]:
    """Elements of the given BPMN kinds inside executable processes, in document order."""
    tags = [f"{{{BPMN_NS}}}{local}" for local in locals_]
    for process in executable_processes(tree):
        yield from process.iter(*tags)


def is_flow_node(element: etree._Element) -> bool:
    if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS or not element.get("id"):
        return False
    return local_name(element) not in _NOT_FLOW_NODES


@dataclass
class Scope:
    element: etree._Element
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    flows: dict[str, etree._Element] = field(default_factory=dict)
    successors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    predecessors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    outgoing: dict[str, list[etree._Element]] = field(default_factory=lambda: defaultdict(list))
    boundaries: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def ad_hoc(self) -> bool:
        return local_name(self.element) == "adHocSubProcess"


def has_definition(element: etree._Element, local: str) -> bool:
    return element.find(f"{{{BPMN_NS}}}{local}") is not None


def link_name(element: etree._Element) -> str | None:
    link = element.find(f"{{{BPMN_NS}}}linkEventDefinition")
    return (link.get("name") or link.get("id")) if link is not None else None


def is_event_subprocess(element: etree._Element) -> bool:
    return local_name(element) in SUBPROCESSES and element.get("triggeredByEvent") == "true"


def is_compensation(element: etree._Element) -> bool:
    return element.get("isForCompensation") == "true" or (
        is_bpmn(element, "boundaryEvent") and has_definition(element, "compensateEventDefinition")
    )


def scope_of(element: etree._Element) -> Scope:
    scope = Scope(element)
    for child in element:
        if is_bpmn(child, "sequenceFlow") and child.get("id"):
            scope.flows[child.get("id")] = child
        elif is_flow_node(child):
            scope.nodes[child.get("id")] = child
    for flow in scope.flows.values():
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in scope.nodes and target in scope.nodes:
            scope.successors[source].append(target)
            scope.predecessors[target].append(source)
            scope.outgoing[source].append(flow)
    # A link throw continues at the link catch of the same name, as if a flow joined them.
    catches: dict[str, list[str]] = defaultdict(list)
    for node_id, node in scope.nodes.items():
        if is_bpmn(node, "intermediateCatchEvent") and (name := link_name(node)):
            catches[name].append(node_id)
    for node_id, node in scope.nodes.items():
        if is_bpmn(node, "intermediateThrowEvent") and (name := link_name(node)):
            for target in catches.get(name, []):
                scope.successors[node_id].append(target)
                scope.predecessors[target].append(node_id)
        if is_bpmn(node, "boundaryEvent") and node.get("attachedToRef") in scope.nodes:
            scope.boundaries[node.get("attachedToRef")].append(node_id)
    return scope


def scopes(tree: etree._ElementTree) -> list[Scope]:
    return [scope_of(element) for element in iter_executable(tree, *SCOPES)]


def closure(starts: Iterable[str], step: Mapping[str, list[str]]) -> set[str]:
    seen = set(starts)
    pending = list(seen)
    while pending:
        for following in step.get(pending.pop(), []):
            if following not in seen:
                seen.add(following)
                pending.append(following)
    return seen


def entries(scope: Scope) -> list[str]:
    if scope.ad_hoc:
        return list(scope.nodes)
    starts = [node_id for node_id, node in scope.nodes.items() if is_bpmn(node, "startEvent")]
    if not starts:
        # BPMN's implicit start: a scope without start events begins at the nodes nothing enters.
        starts = [
            node_id for node_id, node in scope.nodes.items()
            if not scope.predecessors.get(node_id) and not is_bpmn(node, "boundaryEvent")
        ]
    # Triggered by events rather than flows: event subprocesses and compensation handlers.
    starts += [
        node_id for node_id, node in scope.nodes.items()
        if is_event_subprocess(node) or is_compensation(node)
    ]
    return starts


def reachable(scope: Scope) -> set[str]:
    forward: dict[str, list[str]] = defaultdict(list)
    for source, targets in scope.successors.items():
        forward[source].extend(targets)
    for host, events in scope.boundaries.items():
        forward[host].extend(events)
    return closure(entries(scope), forward)


class FormsBefore:
    """Which user tasks (and start forms) can have run before a node, across scopes."""

    def __init__(self, tree: etree._ElementTree) -> None:
        self.scopes = {id(scope.element): scope for scope in scopes(tree)}
        self.scope_of_node: dict[str, Scope] = {}
        for scope in self.scopes.values():
            for node_id in scope.nodes:
                self.scope_of_node[node_id] = scope
        self.hosts = {
            node_id: node.get("attachedToRef")
            for scope in self.scopes.values()
            for node_id, node in scope.nodes.items()
            if is_bpmn(node, "boundaryEvent")
        }

    def form_owners(self, node_id: str, *, include_self: bool) -> set[str]:
        """Ids of the user tasks and start events whose forms may have been filled before *node_id*."""
        scope = self.scope_of_node.get(node_id)
        if scope is None:
            return set()
        owners = self._owners_within(scope.nodes[node_id]) if include_self else set()
        seen: set[str] = set()
        pending = self._backward(node_id)
        while pending:
            current = pending.pop()
            if current in seen or current not in self.scope_of_node:
                continue
            seen.add(current)
            owners |= self._owners_within(self.scope_of_node[current].nodes[current])
            pending.extend(self._backward(current))
        return owners

    def _backward(self, node_id: str) -> list[str]:
        scope = self.scope_of_node[node_id]
        node = scope.nodes[node_id]
        before = list(scope.predecessors.get(node_id, []))
        if node_id in self.hosts and self.hosts[node_id] in self.scope_of_node:
            # A boundary event fires while its task is still open: that task's form is not
            # filled in yet, but everything before the task is.
            before += self._backward(self.hosts[node_id])
        elif not before and not is_bpmn(node, "boundaryEvent"):
            parent = scope.element
            parent_id = parent.get("id") or ""
            if parent_id in self.scope_of_node:
                if is_event_subprocess(parent):
                    # Triggered at any moment of the enclosing scope: anything there may have run.
                    before += list(self.scope_of_node[parent_id].nodes)
                else:
                    # Inside a subprocess, what came before the subprocess came before.
                    before += self._backward(parent_id)
        return before

    @staticmethod
    def _owners_within(node: etree._Element) -> set[str]:
        if is_bpmn(node, "userTask") or is_bpmn(node, "startEvent"):
            return {node.get("id")}
        if local_name(node) in SUBPROCESSES:
            return {
                inner.get("id")
                for inner in node.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}startEvent")
                if inner.get("id")
            }
        return set()


Edge = TypeVar("Edge")


def closing_edges(
    order: Sequence[str], outgoing: Mapping[str, Sequence[Edge]], target: Callable[[Edge], str]
) -> list[Edge]:
    """The edges that close a cycle, found depth-first from each node of *order* in turn.

    Without them the graph is acyclic; *order* decides which edge of a cycle counts as closing
    it (entry points first, so it is the edge that goes back).
    """
    colour: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    found: list[Edge] = []
    for root in order:
        if root in colour:
            continue
        colour[root] = 1
        stack = [(root, iter(outgoing.get(root, ())))]
        while stack:
            node, edges = stack[-1]
            edge = next(edges, None)
            if edge is None:
                colour[node] = 2
                stack.pop()
                continue
            following = target(edge)
            state = colour.get(following)
            if state == 1:
                found.append(edge)
            elif state is None:
                colour[following] = 1
                stack.append((following, iter(outgoing.get(following, ()))))
    return found
