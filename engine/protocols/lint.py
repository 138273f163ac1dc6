"""Structural lint rules read from the BPMN tree.

Rules that need the network (lanes) live with parsing; the full rule catalogue grows with the
protocol-authoring work. Each rule yields :class:`Finding` objects with a stable code.
"""
from __future__ import annotations

from collections import defaultdict

from lxml import etree

from engine.protocols.findings import Finding, Severity
from engine.protocols.loading import BPMN_NS

_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")


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
    colour: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    found: list[etree._Element] = []
    for root in order:
        if root in colour:
            continue
        colour[root] = 1
        stack = [(root, iter(successors.get(root, [])))]
        while stack:
            node, outgoing = stack[-1]
            flow = next(outgoing, None)
            if flow is None:
                colour[node] = 2
                stack.pop()
                continue
            target = flow.get("targetRef")
            state = colour.get(target)
            if state == 1:
                found.append(flow)
            elif state is None:
                colour[target] = 1
                stack.append((target, iter(successors.get(target, []))))
    return found


def back_edge_findings(tree: etree._ElementTree) -> list[Finding]:
    findings = []
    for local in _SCOPES:
        for scope in tree.getroot().iter(f"{{{BPMN_NS}}}{local}"):
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


def lint_tree(tree: etree._ElementTree) -> list[Finding]:
    return back_edge_findings(tree)
