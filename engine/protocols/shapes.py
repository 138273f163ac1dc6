"""Which drawn shape a finding is about.

Lint findings name the element the canvas draws, but the editor may still be given an id it does
not draw (a ``timerEventDefinition``, a process drawn as its pool). This
finds the nearest element, going outwards, that the diagram does draw (a ``BPMNShape`` or
``BPMNEdge`` names it): the boundary event that owns the timer, say.
"""
from __future__ import annotations

from lxml import etree

from engine.protocols.loading import BPMN_NS, MAX_BPMN_BYTES

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
_DRAWN = (f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge")


def _root(bpmn: bytes | str) -> etree._Element | None:
    # Only text the hardened loader has already seen reaches here, but it may be text the loader
    # refused (a bad timer): parse it again with the loader's safety settings, and give up
    # quietly on anything a diagram could not show anyway.
    raw = bpmn.encode("utf-8") if isinstance(bpmn, str) else bpmn
    if len(raw) > MAX_BPMN_BYTES or b"<!doctype" in raw.lower():
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return None


def shape_ids(bpmn: bytes | str) -> dict[str, str]:
    """Every element id → the id of the drawn element that shows it (itself when drawn)."""
    root = _root(bpmn)
    if root is None:
        return {}
    drawn = {node.get("bpmnElement") for node in root.iter(*_DRAWN) if node.get("bpmnElement")}
    # A process is drawn as the pool (participant) that shows it.
    pools = {
        node.get("processRef"): node.get("id") for node in root.iter(f"{{{BPMN_NS}}}participant")
        if node.get("processRef") and node.get("id") in drawn
    }
    owners: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("id") or element.tag in _DRAWN:
            continue
        current: etree._Element | None = element
        while current is not None and current.get("id") not in drawn:
            current = current.getparent()
        if current is not None:
            owners[element.get("id")] = current.get("id")
        elif element.get("id") in pools:
            owners[element.get("id")] = pools[element.get("id")]
    return owners


def drawn_element(bpmn: bytes | str, element_id: str | None) -> str | None:
    """The id of the shape that shows ``element_id``, or None when nothing drawn holds it."""
    if not element_id:
        return None
    return shape_ids(bpmn).get(element_id)
