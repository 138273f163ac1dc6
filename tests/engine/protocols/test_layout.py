"""The diagram auto-layout: every element drawn, lanes as bands, nothing overlapping, stable."""
from __future__ import annotations

import pytest
from lxml import etree
from typer.testing import CliRunner

from api.cli import app
from engine.network.definition import load_network
from engine.protocols.layout import BPMNDI_NS, DC_NS, DI_NS, add_diagram
from engine.protocols.loading import BPMN_NS, ProtocolRejected
from engine.protocols.parsing import parse_protocol
from engine.settings import PROJECT_ROOT
from tests.conftest import FIXTURES

NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
FLOW_NODES = (
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "callActivity", "subProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
)


def strip_diagram(text: str) -> str:
    root = etree.fromstring(text.encode("utf-8"))
    for diagram in root.findall("bpmndi:BPMNDiagram", NS):
        root.remove(diagram)
    return etree.tostring(root.getroottree(), encoding="unicode")


REFERENCE = strip_diagram((FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8"))

# No collaboration, a subprocess with a timer inside, nodes in no lane, a back edge.
SUBPROCESS_PROTOCOL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="defs" targetNamespace="https://khumkrong.example/test">
  <bpmn:process id="with_sub" name="มีกระบวนการย่อย" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_pmj" name="pmj_tak">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>intake</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>visits</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="intake" name="รับเรื่อง"/>
    <bpmn:subProcess id="visits" name="เยี่ยมบ้าน">
      <bpmn:startEvent id="visit_start"/>
      <bpmn:userTask id="visit" name="เยี่ยม"/>
      <bpmn:boundaryEvent id="visit_late" attachedToRef="visit" cancelActivity="false">
        <bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition>
      </bpmn:boundaryEvent>
      <bpmn:endEvent id="visit_late_end"/>
      <bpmn:endEvent id="visit_end"/>
      <bpmn:sequenceFlow id="s1" sourceRef="visit_start" targetRef="visit"/>
      <bpmn:sequenceFlow id="s2" sourceRef="visit" targetRef="visit_end"/>
      <bpmn:sequenceFlow id="s3" sourceRef="visit_late" targetRef="visit_late_end"/>
    </bpmn:subProcess>
    <bpmn:exclusiveGateway id="again" name="อีกครั้ง" default="to_done"/>
    <bpmn:endEvent id="done"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="intake"/>
    <bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="visits"/>
    <bpmn:sequenceFlow id="f3" sourceRef="visits" targetRef="again"/>
    <bpmn:sequenceFlow id="f4" sourceRef="again" targetRef="intake" name="ยังไม่ครบ">
      <bpmn:conditionExpression>repeat == True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_done" sourceRef="again" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="module")
def network():
    return load_network(PROJECT_ROOT / "protocols" / "network.toml")


@pytest.fixture(scope="module")
def laid_out() -> str:
    return add_diagram(REFERENCE)


def bounds(shape: etree._Element) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


def plane_of(root: etree._Element, owner: str) -> etree._Element:
    planes = root.xpath("//bpmndi:BPMNPlane[@bpmnElement=$owner]", namespaces=NS, owner=owner)
    assert len(planes) == 1, f"expected one plane for {owner}"
    return planes[0]


def shapes(plane: etree._Element) -> dict[str, tuple[float, float, float, float]]:
    return {s.get("bpmnElement"): bounds(s) for s in plane.findall("bpmndi:BPMNShape", NS)}


def edges(plane: etree._Element) -> dict[str, list[tuple[float, float]]]:
    return {
        e.get("bpmnElement"): [(float(w.get("x")), float(w.get("y"))) for w in e.findall("di:waypoint", NS)]
        for e in plane.findall("bpmndi:BPMNEdge", NS)
    }


def direct_flow_nodes(container: etree._Element) -> list[etree._Element]:
    return [c for c in container if isinstance(c.tag, str) and etree.QName(c).localname in FLOW_NODES]


def overlap(a, b) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def inside(inner, outer) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def test_every_node_lane_participant_and_flow_is_drawn(laid_out):
    root = etree.fromstring(laid_out.encode("utf-8"))
    collaboration = root.find("bpmn:collaboration", NS)
    plane = plane_of(root, collaboration.get("id"))
    drawn, drawn_edges = shapes(plane), edges(plane)
    process = root.find("bpmn:process", NS)
    expected = (
        {n.get("id") for n in direct_flow_nodes(process)}
        | {lane.get("id") for lane in root.iter(f"{{{BPMN_NS}}}lane")}
        | {p.get("id") for p in collaboration.findall("bpmn:participant", NS)}
    )
    assert set(drawn) == expected
    assert set(drawn_edges) == {f.get("id") for f in process.findall("bpmn:sequenceFlow", NS)}
    assert all(len(points) >= 2 for points in drawn_edges.values())
    # Labels under events and gateways.
    for shape in plane.findall("bpmndi:BPMNShape", NS):
        element = root.xpath("//*[@id=$id]", id=shape.get("bpmnElement"))[0]
        local = etree.QName(element).localname
        if local.endswith("Event") or local.endswith("Gateway"):
            label = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS)
            assert label is not None, local
            assert float(label.get("y")) >= sum(bounds(shape)[1::2])


def test_nodes_fall_inside_their_lane_band_and_lanes_inside_the_pool(laid_out):
    root = etree.fromstring(laid_out.encode("utf-8"))
    drawn = shapes(plane_of(root, root.find("bpmn:collaboration", NS).get("id")))
    pool = drawn["reference_participant"]
    lanes = list(root.iter(f"{{{BPMN_NS}}}lane"))
    for lane in lanes:
        band = drawn[lane.get("id")]
        assert inside(band, pool)
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            assert inside(drawn[ref.text], band), ref.text
    # Bands are stacked in laneSet order and do not overlap.
    tops = [drawn[lane.get("id")][1] for lane in lanes]
    assert tops == sorted(tops)
    for a, b in zip(lanes, lanes[1:], strict=False):
        assert not overlap(drawn[a.get("id")], drawn[b.get("id")])


def test_no_two_node_shapes_overlap(laid_out):
    root = etree.fromstring(laid_out.encode("utf-8"))
    drawn = shapes(plane_of(root, root.find("bpmn:collaboration", NS).get("id")))
    process = root.find("bpmn:process", NS)
    nodes = direct_flow_nodes(process)
    hosts = {n.get("id"): n.get("attachedToRef") for n in nodes}
    ids = [n.get("id") for n in nodes]
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if hosts.get(a) == b or hosts.get(b) == a:
                continue  # a boundary event sits on its host's edge by design
            assert not overlap(drawn[a], drawn[b]), (a, b)
    # Boundary events straddle the bottom edge of their host.
    deadline, host = drawn["assess_deadline"], drawn["assess"]
    assert deadline[1] + deadline[3] / 2 == host[1] + host[3]
    assert host[0] <= deadline[0] and deadline[0] + deadline[2] <= host[0] + host[2]


def test_ranks_increase_along_flows_and_edges_run_right_side_to_left_side(laid_out):
    root = etree.fromstring(laid_out.encode("utf-8"))
    plane = plane_of(root, root.find("bpmn:collaboration", NS).get("id"))
    drawn, drawn_edges = shapes(plane), edges(plane)
    process = root.find("bpmn:process", NS)
    host_of = {b.get("id"): b.get("attachedToRef") for b in process.findall("bpmn:boundaryEvent", NS)}
    for flow in process.findall("bpmn:sequenceFlow", NS):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        ranked_source = drawn[host_of.get(source, source)]
        assert drawn[target][0] > ranked_source[0] + ranked_source[2], flow.get("id")
        points = drawn_edges[flow.get("id")]
        # Orthogonal, and arriving on the target's left side.
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:], strict=False)), flow.get("id")
        tx, ty, tw, th = drawn[target]
        assert points[-1] == (tx, ty + th / 2), flow.get("id")
        sx, sy, sw, sh = drawn[source]
        kind = etree.QName(process.xpath("*[@id=$id]", id=source)[0]).localname
        if kind == "boundaryEvent":
            assert points[0] == (sx + sw / 2, sy + sh)
        elif kind.endswith("Gateway"):
            assert points[0] in {(sx + sw, sy + sh / 2), (sx + sw / 2, sy), (sx + sw / 2, sy + sh)}
        else:
            assert points[0] == (sx + sw, sy + sh / 2), flow.get("id")


def test_result_still_parses_and_keeps_the_model_as_written(laid_out, network):
    parsed = parse_protocol(laid_out, network=network, filename="reference.bpmn")
    assert parsed.process_id == "reference_protocol"
    root = etree.fromstring(laid_out.encode("utf-8"))
    # The original tree, not the loader's: the timer literal is not quoted.
    assert root.find(".//bpmn:timeDuration", NS).text == "PT24H"
    assert {"bpmn", "bpmndi", "dc", "di", "camunda", "spiffworkflow"} <= set(root.nsmap)
    assert root.nsmap["bpmndi"] == BPMNDI_NS and root.nsmap["dc"] == DC_NS and root.nsmap["di"] == DI_NS
    assert laid_out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- Reference protocol')
    assert "\n  <bpmn:collaboration" in laid_out  # pretty-printed


def test_layout_is_deterministic_and_idempotent(laid_out):
    assert add_diagram(REFERENCE) == laid_out
    assert add_diagram(laid_out) == laid_out
    root = etree.fromstring(laid_out.encode("utf-8"))
    assert len(root.findall("bpmndi:BPMNDiagram", NS)) == 1


def test_missing_collaboration_is_created_and_subprocess_gets_its_own_plane(network):
    text = add_diagram(SUBPROCESS_PROTOCOL)
    root = etree.fromstring(text.encode("utf-8"))
    collaboration = root.find("bpmn:collaboration", NS)
    assert collaboration.get("id") == "with_sub_collaboration"
    assert collaboration.getnext().get("id") == "with_sub"  # placed before the process
    participant = collaboration.find("bpmn:participant", NS)
    assert (participant.get("id"), participant.get("name"), participant.get("processRef")) == (
        "with_sub_participant", "มีกระบวนการย่อย", "with_sub",
    )

    main = plane_of(root, "with_sub_collaboration")
    drawn = shapes(main)
    process = root.find("bpmn:process", NS)
    assert set(drawn) >= {n.get("id") for n in direct_flow_nodes(process)} | {"lane_pmj", "with_sub_participant"}
    # Subprocess content is not on the main plane.
    assert not {"visit", "visit_start", "visit_late"} & set(drawn)
    sub_shape = main.xpath("bpmndi:BPMNShape[@bpmnElement='visits']", namespaces=NS)[0]
    assert sub_shape.get("isExpanded") == "false"
    assert drawn["visits"][2:] == (100.0, 80.0)

    subprocess = process.find("bpmn:subProcess", NS)
    sub_plane = plane_of(root, "visits")
    assert set(shapes(sub_plane)) == {n.get("id") for n in direct_flow_nodes(subprocess)}
    assert set(edges(sub_plane)) == {"s1", "s2", "s3"}
    assert set(edges(main)) == {"f1", "f2", "f3", "f4", "to_done"}

    # The back edge (again -> intake) is ignored for ranking: intake stays left of the gateway.
    assert drawn["intake"][0] < drawn["visits"][0] < drawn["again"][0] < drawn["done"][0]
    # A named flow gets a label.
    assert main.xpath("bpmndi:BPMNEdge[@bpmnElement='f4']/bpmndi:BPMNLabel", namespaces=NS)
    assert add_diagram(text) == text


def test_a_new_collaboration_parses(network):
    # The subprocess protocol above has a loop-back and an unlisted gateway, which lint may
    # refuse; what matters is that the DI itself is valid against the BPMN schema.
    from SpiffWorkflow.spiff.parser.process import VALIDATOR

    root = etree.fromstring(add_diagram(SUBPROCESS_PROTOCOL).encode("utf-8"))
    VALIDATOR.validate(root.getroottree(), "with_sub.bpmn")


def test_unsafe_documents_are_refused_not_laid_out():
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + REFERENCE.split("?>", 1)[-1]
    with pytest.raises(ProtocolRejected) as caught:
        add_diagram(evil)
    assert caught.value.code == "doctype"


def test_cli_prints_or_rewrites_files(tmp_path):
    runner = CliRunner()
    source = tmp_path / "reference.bpmn"
    source.write_text(REFERENCE, encoding="utf-8")

    printed = runner.invoke(app, ["protocols", "layout", str(source)])
    assert printed.exit_code == 0, printed.output
    assert "bpmndi:BPMNDiagram" in printed.stdout
    assert source.read_text(encoding="utf-8") == REFERENCE  # untouched without --write

    written = runner.invoke(app, ["protocols", "layout", str(source), "--write"])
    assert written.exit_code == 0, written.output
    assert source.read_text(encoding="utf-8") == add_diagram(REFERENCE)

    bad = tmp_path / "bad.bpmn"
    bad.write_text("<not-bpmn/>", encoding="utf-8")
    refused = runner.invoke(app, ["protocols", "layout", str(bad), "--write"])
    assert refused.exit_code == 1
    assert bad.read_text(encoding="utf-8") == "<not-bpmn/>"
