"""Diagram interchange (BPMN DI) for protocols written without one.

Protocol authors write the process by hand; bpmn-js and Camunda Modeler only draw what has a
``bpmndi`` shape or edge, so :func:`add_diagram` computes one:

* the process becomes a pool (a collaboration with one participant is added if missing), its
  lanes horizontal bands stacked in ``laneSet`` order;
* flow nodes go left to right by *rank*, the longest path from the start events along sequence
  flows (back edges ignored), each in its lane's band; nodes of one lane sharing a rank stack;
* boundary events sit on the bottom edge of their host; their flows rank after the host;
* subprocesses are drawn collapsed, with their content on a plane of its own (bpmn-js shows it
  on drill-down), laid out by the same rules without lanes;
* sequence flows are orthogonal polylines, source right side to target left side.

Everything is deterministic (document order breaks every tie) and the function is idempotent:
an existing diagram is thrown away and computed again.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from engine.protocols.loading import BPMN_NS, load_bpmn

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
DI_NSMAP = {"bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}

__all__ = ["BPMNDI_NS", "DC_NS", "DI_NS", "add_diagram"]

# -- geometry (pixels, bpmn-js conventions) ----------------------------------------------------

TASK_SIZE = (100, 80)
EVENT_SIZE = (36, 36)
GATEWAY_SIZE = (50, 50)
BOUNDARY_PITCH = 46  # centre-to-centre distance of boundary events on one host
POOL_X, POOL_Y = 120, 80
POOL_GAP = 40  # between stacked pools
HEADER = 30  # the vertical name strip of a pool, and of each lane level
CONTENT_MARGIN = 40  # from the innermost header to the first column
END_MARGIN = 50  # after the last column
COLUMN_GAP = 60  # between columns; edges bend in it
BAND_HEIGHT = 140  # a lane with one row of nodes
ROW_PITCH = 130  # each further stacked row; leaves room for boundary events and labels
ROW_CENTRE = 60  # centre of the first row below the band's top edge
EMPTY_POOL_HEIGHT = 100  # a participant with no process (a black box)
PLANE_X, PLANE_Y = 150, 80  # where a subprocess's own plane starts
LABEL_WIDTH = 90
LABEL_LINE = 14
LABEL_CHARS_PER_LINE = 15
LABEL_MAX_LINES = 3

TASKS = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity",
})
SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"})
FLOW_NODES = TASKS | SUBPROCESSES | EVENTS | GATEWAYS


def _q(local: str, namespace: str = BPMN_NS) -> str:
    return f"{{{namespace}}}{local}"


def _local(element: etree._Element) -> str | None:
    if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
        return None
    return etree.QName(element).localname


# -- entry point --------------------------------------------------------------------------------


def _hardened_parser() -> etree.XMLParser:
    # The same settings as engine.protocols.loading: no entities, no network, no DTD. A fresh
    # parser per call because lxml parsers must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False,
    )


def add_diagram(bpmn_text: str | bytes, *, filename: str = "protocol.bpmn") -> str:
    """Return ``bpmn_text`` with a freshly computed BPMN diagram (and a pool, if it had none).

    Raises :class:`engine.protocols.loading.ProtocolRejected` for a document the hardened
    loader refuses: nothing unsafe is laid out.
    """
    load_bpmn(bpmn_text, filename=filename)
    raw = bpmn_text.encode("utf-8") if isinstance(bpmn_text, str) else bytes(bpmn_text)
    # Lay out the document as written: load_bpmn's tree has its timer literals quoted for
    # SpiffWorkflow, which must not leak into the author's file.
    root = etree.fromstring(raw, _hardened_parser())
    tree = root.getroottree()

    for old in root.findall(_q("BPMNDiagram", BPMNDI_NS)):
        root.remove(old)
    ids = _IdPool(root)
    pools = _ensure_collaboration(root)

    diagrams: list[etree._Element] = []
    collaboration = pools[0][0].getparent() if pools else None
    main_plane_owner = collaboration.get("id") if collaboration is not None else None
    main = _Plane(main_plane_owner or "")
    subplanes: list[_Plane] = []
    top = POOL_Y
    for participant, process in pools:
        top = _layout_pool(main, participant, process, top, subplanes) + POOL_GAP
    if collaboration is not None:
        _draw_message_flows(main, collaboration)

    first_owner = main_plane_owner or "diagram"
    diagrams.append(main.to_xml(ids, diagram_id=f"{first_owner}_diagram"))
    diagrams.extend(plane.to_xml(ids, diagram_id=f"{plane.owner}_diagram") for plane in subplanes)

    # Diagrams follow the root elements and precede any bpmn:relationship (BPMN 2.0 XSD order).
    relationship = root.find(_q("relationship"))
    for diagram in diagrams:
        if relationship is not None:
            relationship.addprevious(diagram)
        else:
            root.append(diagram)

    # Declare bpmndi/dc/di on the root (like modellers do) while keeping every namespace the
    # author declared, used or not.
    etree.cleanup_namespaces(root, top_nsmap=DI_NSMAP, keep_ns_prefixes=[p for p in root.nsmap if p])
    etree.indent(tree, space="  ")
    return _serialise(root)


def _serialise(root: etree._Element) -> str:
    # Comments before the root (a file header) are kept, each on its own line.
    prolog = [etree.tostring(node, encoding="unicode", with_tail=False) for node in reversed(list(root.itersiblings(preceding=True)))]
    epilog = [etree.tostring(node, encoding="unicode", with_tail=False) for node in root.itersiblings()]
    body = etree.tostring(root, encoding="unicode", with_tail=False)
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', *prolog, body, *epilog]) + "\n"


class _IdPool:
    """DI ids are ``<element>_di`` as bpmn-js writes them, unless the model already uses one."""

    def __init__(self, root: etree._Element) -> None:
        self.taken = {element.get("id") for element in root.iter(etree.Element) if element.get("id")}

    def claim(self, wanted: str) -> str:
        candidate, number = wanted, 2
        while candidate in self.taken:
            candidate, number = f"{wanted}_{number}", number + 1
        self.taken.add(candidate)
        return candidate


# -- pools ----------------------------------------------------------------------------------


def _ensure_collaboration(root: etree._Element) -> list[tuple[etree._Element, etree._Element | None]]:
    """Every process gets a participant; returns (participant, process or None) in document order."""
    processes = root.findall(_q("process"))
    collaboration = root.find(_q("collaboration"))
    if collaboration is None and processes:
        first = processes[0]
        collaboration = etree.Element(_q("collaboration"), id=f"{first.get('id')}_collaboration")
        first.addprevious(collaboration)
        # The new element takes the indentation the process had; indent() redoes it anyway.
    if collaboration is None:
        return []
    participants = collaboration.findall(_q("participant"))
    referenced = {p.get("processRef") for p in participants}
    for process in processes:
        if process.get("id") in referenced:
            continue
        participant = etree.Element(_q("participant"), id=f"{process.get('id')}_participant")
        participant.set("name", process.get("name") or process.get("id"))
        participant.set("processRef", process.get("id"))
        # Participants come first in a collaboration (XSD order).
        if participants:
            participants[-1].addnext(participant)
        else:
            collaboration.insert(_first_bpmn_child_index(collaboration), participant)
        participants.append(participant)
    by_id = {process.get("id"): process for process in processes}
    return [(p, by_id.get(p.get("processRef"))) for p in collaboration.findall(_q("participant"))]


def _first_bpmn_child_index(parent: etree._Element) -> int:
    # After documentation and extensionElements, which the XSD puts before participants.
    index = 0
    for position, child in enumerate(parent):
        if _local(child) in ("documentation", "extensionElements"):
            index = position + 1
    return index


# -- the plane model ----------------------------------------------------------------------------


@dataclass
class _Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2


@dataclass
class _Shape:
    element_id: str
    box: _Box
    attributes: dict[str, str] = field(default_factory=dict)
    label: _Box | None = None


@dataclass
class _Edge:
    element_id: str
    points: list[tuple[int, int]]
    label: _Box | None = None


@dataclass
class _Plane:
    owner: str
    shapes: list[_Shape] = field(default_factory=list)
    edges: list[_Edge] = field(default_factory=list)
    boxes: dict[str, _Box] = field(default_factory=dict)

    def add_shape(self, shape: _Shape) -> None:
        self.shapes.append(shape)
        self.boxes[shape.element_id] = shape.box

    def to_xml(self, ids: _IdPool, *, diagram_id: str) -> etree._Element:
        diagram = etree.Element(_q("BPMNDiagram", BPMNDI_NS), id=ids.claim(diagram_id))
        plane = etree.SubElement(diagram, _q("BPMNPlane", BPMNDI_NS), id=ids.claim(f"{self.owner}_plane"))
        plane.set("bpmnElement", self.owner)
        for shape in self.shapes:
            node = etree.SubElement(plane, _q("BPMNShape", BPMNDI_NS), id=ids.claim(f"{shape.element_id}_di"))
            node.set("bpmnElement", shape.element_id)
            for name, value in shape.attributes.items():
                node.set(name, value)
            _bounds(node, shape.box)
            if shape.label is not None:
                _bounds(etree.SubElement(node, _q("BPMNLabel", BPMNDI_NS)), shape.label)
        for edge in self.edges:
            node = etree.SubElement(plane, _q("BPMNEdge", BPMNDI_NS), id=ids.claim(f"{edge.element_id}_di"))
            node.set("bpmnElement", edge.element_id)
            for x, y in edge.points:
                etree.SubElement(node, _q("waypoint", DI_NS), x=str(x), y=str(y))
            if edge.label is not None:
                _bounds(etree.SubElement(node, _q("BPMNLabel", BPMNDI_NS)), edge.label)
        return diagram


def _bounds(parent: etree._Element, box: _Box) -> None:
    etree.SubElement(parent, _q("Bounds", DC_NS), x=str(box.x), y=str(box.y), width=str(box.w), height=str(box.h))


def _label_under(box: _Box, name: str | None) -> _Box:
    lines = _label_lines(name)
    return _Box(box.cx - LABEL_WIDTH // 2, box.bottom + 5, LABEL_WIDTH, lines * LABEL_LINE)


def _label_lines(name: str | None) -> int:
    # Thai vowel and tone marks combine with the consonant before them and take no width.
    visible = sum(1 for ch in (name or "") if not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn")
    return max(1, min(LABEL_MAX_LINES, math.ceil(visible / LABEL_CHARS_PER_LINE)))


# -- one container (process or subprocess): ranks --------------------------------------------


@dataclass
class _Graph:
    nodes: list[etree._Element]  # non-boundary flow nodes, document order
    boundaries: list[etree._Element]
    flows: list[etree._Element]
    host_of: dict[str, str]  # boundary id -> host id
    rank: dict[str, int]
    back_edges: set[str]  # sequence flow ids ignored for ranking
    predecessors: dict[str, list[str]]  # along ordinary flows
    hosts_before: dict[str, list[str]]  # hosts of the boundary events whose flows lead here


def _graph(container: etree._Element) -> _Graph:
    nodes, boundaries = [], []
    for child in container:
        kind = _local(child)
        if kind == "boundaryEvent":
            boundaries.append(child)
        elif kind in FLOW_NODES:
            nodes.append(child)
    node_ids = [n.get("id") for n in nodes]
    known = set(node_ids)
    host_of = {b.get("id"): b.get("attachedToRef") for b in boundaries if b.get("attachedToRef") in known}
    flows = [child for child in container if _local(child) == "sequenceFlow"]

    def ranked_source(flow: etree._Element) -> str | None:
        # A boundary event's flows leave from its host as far as ranking goes.
        source = flow.get("sourceRef")
        return host_of.get(source, source if source in known else None)

    outgoing: dict[str, list[tuple[str, str]]] = {n: [] for n in node_ids}
    from_boundary: set[str] = set()
    for flow in flows:
        source, target = ranked_source(flow), flow.get("targetRef")
        if source is not None and target in known:
            outgoing[source].append((flow.get("id"), target))
            if flow.get("sourceRef") in host_of:
                from_boundary.add(flow.get("id"))

    # Depth-first from the start events (then anything else unvisited, in document order): a
    # flow into a node still on the path is a back edge.
    has_incoming = {target for edges in outgoing.values() for _, target in edges}
    roots = (
        [n for n in node_ids if _local_by_id(nodes, n) == "startEvent"]
        + [n for n in node_ids if n not in has_incoming]
        + node_ids
    )
    state: dict[str, int] = {}  # 1 on the path, 2 done
    back_edges: set[str] = set()
    order: list[str] = []  # post-order
    for root_id in roots:
        if root_id in state:
            continue
        state[root_id] = 1
        stack = [(root_id, iter(outgoing[root_id]))]
        while stack:
            current, edges = stack[-1]
            advanced = False
            for flow_id, target in edges:
                if state.get(target) == 1:
                    back_edges.add(flow_id)
                elif target not in state:
                    state[target] = 1
                    stack.append((target, iter(outgoing[target])))
                    advanced = True
                    break
            if not advanced:
                state[current] = 2
                order.append(current)
                stack.pop()

    predecessors: dict[str, list[str]] = {n: [] for n in node_ids}
    hosts_before: dict[str, list[str]] = {n: [] for n in node_ids}
    rank = {n: 0 for n in node_ids}
    for current in reversed(order):  # a topological order of the graph without back edges
        for flow_id, target in outgoing[current]:
            if flow_id in back_edges:
                continue
            rank[target] = max(rank[target], rank[current] + 1)
            before = hosts_before[target] if flow_id in from_boundary else predecessors[target]
            if current not in before:
                before.append(current)
    return _Graph(nodes, boundaries, flows, host_of, rank, back_edges, predecessors, hosts_before)


def _local_by_id(nodes: list[etree._Element], node_id: str) -> str | None:
    for node in nodes:
        if node.get("id") == node_id:
            return _local(node)
    return None


# -- one container: placement ------------------------------------------------------------------


def _size(node: etree._Element, boundary_count: int) -> tuple[int, int]:
    kind = _local(node)
    if kind in EVENTS:
        return EVENT_SIZE
    if kind in GATEWAYS:
        return GATEWAY_SIZE
    width, height = TASK_SIZE
    # Room on the bottom edge for every boundary event, side by side.
    return max(width, boundary_count * BOUNDARY_PITCH + 10), height


@dataclass
class _Band:
    """A horizontal strip of nodes: a leaf lane, the lane-less rest, or a whole plane."""

    lane: etree._Element | None
    rows: int = 1
    top: int = 0

    @property
    def height(self) -> int:
        return BAND_HEIGHT + (self.rows - 1) * ROW_PITCH


def _place_container(
    plane: _Plane,
    container: etree._Element,
    bands: list[_Band],
    band_of: dict[str, int],
    content_x: int,
    top: int,
    subplanes: list[_Plane],
) -> tuple[int, _Graph]:
    """Place the container's nodes in ``bands`` starting at ``top``; return the right edge."""
    graph = _graph(container)
    boundaries_on: dict[str, list[etree._Element]] = {}
    for boundary in graph.boundaries:
        host = graph.host_of.get(boundary.get("id"))
        if host is not None:
            boundaries_on.setdefault(host, []).append(boundary)
    sizes = {n.get("id"): _size(n, len(boundaries_on.get(n.get("id"), []))) for n in graph.nodes}
    position = {n.get("id"): i for i, n in enumerate(graph.nodes)}

    # Slots: within a band, nodes of one rank stack. A node keeps its predecessor's slot when
    # it can (so a straight path stays straight), else takes the nearest free one.
    by_rank: dict[int, list[str]] = {}
    for node_id in position:
        by_rank.setdefault(graph.rank[node_id], []).append(node_id)
    slot: dict[str, int] = {}
    for rank in sorted(by_rank):
        used: dict[int, set[int]] = {}

        def same_band(node_id: str) -> list[int]:
            return [slot[p] for p in graph.predecessors[node_id] if band_of.get(p) == band_of.get(node_id)]

        def preferred(node_id: str) -> int:
            if same_band(node_id):
                return min(same_band(node_id))
            # The path a boundary event starts hangs below its host.
            hosts = [slot[h] + 1 for h in graph.hosts_before[node_id] if band_of.get(h) == band_of.get(node_id)]
            return min(hosts, default=0)

        # Nodes continuing a path inside their band choose first; arrivals from other bands
        # (and from boundary events) fill in around them.
        order = sorted(by_rank[rank], key=lambda n: (not same_band(n), preferred(n), position[n]))
        for node_id in order:
            taken = used.setdefault(band_of.get(node_id, 0), set())
            want = preferred(node_id)
            chosen = next(
                s for distance in range(len(taken) + want + 2) for s in (want + distance, want - distance)
                if s >= 0 and s not in taken
            )
            taken.add(chosen)
            slot[node_id] = chosen
    for node_id, index in band_of.items():
        if node_id in slot:
            bands[index].rows = max(bands[index].rows, slot[node_id] + 1)
    y = top
    for band in bands:
        band.top = y
        y += band.height

    # Columns: as wide as their widest node.
    ranks = sorted(by_rank)
    width_of = {r: max(sizes[n][0] for n in by_rank[r]) for r in ranks}
    column_left: dict[int, int] = {}
    x = content_x
    for r in ranks:  # contiguous: a node of rank k has a predecessor of rank k - 1
        column_left[r] = x
        x += width_of[r] + COLUMN_GAP
    right = x - COLUMN_GAP if ranks else content_x

    for node in graph.nodes:
        node_id = node.get("id")
        w, h = sizes[node_id]
        r = graph.rank[node_id]
        band = bands[band_of.get(node_id, 0)]
        cx = column_left[r] + width_of[r] // 2
        cy = band.top + ROW_CENTRE + slot[node_id] * ROW_PITCH
        box = _Box(cx - w // 2, cy - h // 2, w, h)
        kind = _local(node)
        shape = _Shape(node_id, box)
        if kind in EVENTS or kind in GATEWAYS:
            shape.label = _label_under(box, node.get("name"))
        if kind == "exclusiveGateway":
            shape.attributes["isMarkerVisible"] = "true"
        if kind in SUBPROCESSES:
            shape.attributes["isExpanded"] = "false"
            subplanes.append(_layout_subprocess(node, subplanes))
        plane.add_shape(shape)

    for host, attached in boundaries_on.items():
        host_box = plane.boxes[host]
        count = len(attached)
        for index, boundary in enumerate(attached):
            cx = host_box.x + host_box.w * (index + 1) // (count + 1)
            box = _Box(cx - EVENT_SIZE[0] // 2, host_box.bottom - EVENT_SIZE[1] // 2, *EVENT_SIZE)
            plane.add_shape(_Shape(boundary.get("id"), box, label=_label_under(box, boundary.get("name"))))

    _draw_sequence_flows(plane, graph, column_left)
    return right, graph


def _layout_subprocess(subprocess: etree._Element, subplanes: list[_Plane]) -> _Plane:
    # The drill-down plane: no pool, no lanes (bpmn-js shows none there), one band.
    plane = _Plane(subprocess.get("id"))
    band = _Band(lane=None)
    band_of = {
        child.get("id"): 0 for child in subprocess if _local(child) in FLOW_NODES and _local(child) != "boundaryEvent"
    }
    _place_container(plane, subprocess, [band], band_of, PLANE_X, PLANE_Y, subplanes)
    return plane


# -- edges ------------------------------------------------------------------------------------


def _draw_sequence_flows(plane: _Plane, graph: _Graph, column_left: dict[int, int]) -> None:
    kinds = {n.get("id"): _local(n) for n in [*graph.nodes, *graph.boundaries]}
    for flow in graph.flows:
        source_id, target_id = flow.get("sourceRef"), flow.get("targetRef")
        source, target = plane.boxes.get(source_id), plane.boxes.get(target_id)
        if source is None or target is None:
            continue
        target_column = column_left.get(graph.rank.get(target_id, -1), target.x)
        points = _route(source, target, kinds.get(source_id), backwards=flow.get("id") in graph.back_edges
                        or target.x <= source.right, bend_x=target_column - COLUMN_GAP // 2)
        label = None
        if flow.get("name"):
            sx, sy = points[0]
            label = _Box(sx + 5, sy - LABEL_LINE * _label_lines(flow.get("name")) - 3, LABEL_WIDTH,
                         LABEL_LINE * _label_lines(flow.get("name")))
        plane.edges.append(_Edge(flow.get("id"), points, label))


def _route(source: _Box, target: _Box, source_kind: str | None, *, backwards: bool, bend_x: int) -> list[tuple[int, int]]:
    """Orthogonal waypoints from the source's right side to the target's left side."""
    if backwards:
        # A loop back: down under both shapes, across, and up into the target.
        low = max(source.bottom, target.bottom) + 25
        return [(source.cx, source.bottom), (source.cx, low), (target.cx, low), (target.cx, target.bottom)]
    if source_kind == "boundaryEvent":
        if target.cy >= source.bottom:
            return [(source.cx, source.bottom), (source.cx, target.cy), (target.x, target.cy)]
        drop = source.bottom + 15
        return [(source.cx, source.bottom), (source.cx, drop), (bend_x, drop), (bend_x, target.cy), (target.x, target.cy)]
    if source.cy == target.cy:
        return [(source.right, source.cy), (target.x, target.cy)]
    if source_kind in GATEWAYS:
        # Leave a gateway by its top or bottom corner, the way modellers draw branches.
        corner = source.y if target.cy < source.cy else source.bottom
        return [(source.cx, corner), (source.cx, target.cy), (target.x, target.cy)]
    return [(source.right, source.cy), (bend_x, source.cy), (bend_x, target.cy), (target.x, target.cy)]


def _draw_message_flows(plane: _Plane, collaboration: etree._Element) -> None:
    for flow in collaboration.findall(_q("messageFlow")):
        source, target = plane.boxes.get(flow.get("sourceRef")), plane.boxes.get(flow.get("targetRef"))
        if source is None or target is None:
            continue
        down = target.cy >= source.cy
        start = (source.cx, source.bottom if down else source.y)
        end = (target.cx, target.y if down else target.bottom)
        middle = (start[1] + end[1]) // 2
        plane.edges.append(_Edge(flow.get("id"), [start, (start[0], middle), (end[0], middle), end]))


# -- pools and lanes --------------------------------------------------------------------------


def _leaf_lanes(lane_set: etree._Element | None, depth: int = 0) -> Iterable[tuple[etree._Element, int]]:
    """Every lane with its nesting depth, parents before children, in document order."""
    if lane_set is None:
        return
    for lane in lane_set.findall(_q("lane")):
        yield lane, depth
        yield from _leaf_lanes(lane.find(_q("childLaneSet")), depth + 1)


def _layout_pool(
    plane: _Plane,
    participant: etree._Element,
    process: etree._Element | None,
    top: int,
    subplanes: list[_Plane],
) -> int:
    """Draw one pool from ``top``; return its bottom edge."""
    if process is None:
        box = _Box(POOL_X, top, 600, EMPTY_POOL_HEIGHT)
        plane.add_shape(_Shape(participant.get("id"), box, {"isHorizontal": "true"}))
        return box.bottom

    lanes = list(_leaf_lanes(process.find(_q("laneSet"))))
    children_of = {lane.get("id"): [c for c, _ in _leaf_lanes(lane.find(_q("childLaneSet")))] for lane, _ in lanes}
    leaves = [lane for lane, _ in lanes if not lane.findall(f"{_q('childLaneSet')}/{_q('lane')}")]
    depth = 1 + max((d for _, d in lanes), default=-1)

    bands = [_Band(lane=lane) for lane in leaves]
    band_of: dict[str, int] = {}
    lane_index = {lane.get("id"): i for i, lane in enumerate(leaves)}
    for lane, _ in lanes:  # parents first, so the innermost lane listing a node wins
        # A node only a parent lane lists goes to that parent's first sub-lane.
        leaf = next(c for c in [lane, *children_of[lane.get("id")]] if c.get("id") in lane_index)
        for ref in lane.findall(_q("flowNodeRef")):
            if ref.text and ref.text.strip():
                band_of[ref.text.strip()] = lane_index[leaf.get("id")]
    direct = [c.get("id") for c in process if _local(c) in FLOW_NODES]
    if not bands or any(node_id not in band_of for node_id in direct):
        # Nodes no lane lists share a band of their own, under the lanes.
        bands.append(_Band(lane=None))
        for node_id in direct:
            band_of.setdefault(node_id, len(bands) - 1)

    content_x = POOL_X + HEADER * (1 + depth) + CONTENT_MARGIN
    right, _ = _place_container(plane, process, bands, band_of, content_x, top, subplanes)
    pool_right = max(right + END_MARGIN, content_x + 300)
    bottom = bands[-1].top + bands[-1].height

    pool = _Shape(participant.get("id"), _Box(POOL_X, top, pool_right - POOL_X, bottom - top), {"isHorizontal": "true"})
    lane_shapes: list[_Shape] = []
    for lane, level in lanes:
        leaf_bands = [bands[lane_index[c.get("id")]] for c in [lane, *children_of[lane.get("id")]] if c.get("id") in lane_index]
        lane_top = min(b.top for b in leaf_bands)
        lane_bottom = max(b.top + b.height for b in leaf_bands)
        x = POOL_X + HEADER * (1 + level)
        lane_shapes.append(_Shape(lane.get("id"), _Box(x, lane_top, pool_right - x, lane_bottom - lane_top), {"isHorizontal": "true"}))
    # Pool and lanes first, so that bpmn-js draws nodes on top of them.
    plane.shapes[:0] = [pool, *lane_shapes]
    for shape in (pool, *lane_shapes):
        plane.boxes[shape.element_id] = shape.box
    return bottom
