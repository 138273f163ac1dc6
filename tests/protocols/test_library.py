"""The Tak protocol library as shipped: every protocol and form loads and lints clean, every
agency owns work, every documented timer is in the BPMN with its stated value, every diagram
renders, every protocol has its scenarios, and the library's Thai is natural Thai in the
glossary's terms."""
from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
from lxml import etree

from engine.forms.catalogue import load_forms
from engine.forms.service import check_schema
from engine.network.definition import load_network
from engine.protocols.findings import Severity
from engine.protocols.language import current_glossary, form_problems, language_findings, text_problems
from engine.protocols.loading import BPMN_NS
from engine.protocols.parsing import parse_protocol
from engine.protocols.service import message_start_names
from engine.settings import PROJECT_ROOT

PROTOCOLS = PROJECT_ROOT / "protocols"
FORMS = PROJECT_ROOT / "forms"
FEATURES = PROJECT_ROOT / "features"
FILES = sorted(PROTOCOLS.glob("*.bpmn"))
KEYS = [path.stem for path in FILES]
EXPECTED_KEYS = [
    "p1_abuse_report", "p2_student_screening", "p3_at_risk_behaviour", "p4_conflict_with_law", "p5_out_of_school",
    "p6_disability", "p7_migrant_child", "p8_adolescent_pregnancy", "p9_committee_oversight",
    "p10_data_subject_request", "p11_data_breach",
]
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
THAI = re.compile("[\u0e00-\u0e7f]")
FLOW_NODES = (
    "startEvent", "endEvent", "userTask", "manualTask", "task", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "subProcess", "callActivity",
)


@pytest.fixture(scope="module")
def network():
    return load_network(PROTOCOLS / "network.toml")


@pytest.fixture(scope="module")
def forms():
    return load_forms(FORMS)


@pytest.fixture(scope="module")
def parsed(network, forms):
    messages = {name for path in FILES for name in message_start_names(path.read_bytes())}
    return {path.stem: parse_protocol(path.read_bytes(), network=network, forms=forms, known_messages=messages, filename=path.name) for path in FILES}


def test_the_protocols_are_there():
    assert sorted(KEYS) == sorted(EXPECTED_KEYS)


def test_every_protocol_lints_without_errors(parsed):
    for key, protocol in parsed.items():
        errors = [str(f) for f in protocol.findings if f.severity is Severity.ERROR]
        assert errors == [], key
        assert protocol.process_id == key
        assert THAI.search(protocol.name), f"{key}: the process name should be its Thai title"


def test_every_form_is_a_valid_schema_with_thai_and_english_titles(forms):
    assert len(forms) > 0
    for name in forms:
        schema = forms.schemas[name]
        check_schema(name, schema)
        assert THAI.search(schema.get("title", "")), f"{name}: Thai title"
        assert schema.get("x-title-en"), f"{name}: English title"
        for field, spec in schema.get("properties", {}).items():
            assert THAI.search(spec.get("title", "")), f"{name}.{field}: Thai title"
            assert spec.get("x-title-en"), f"{name}.{field}: English title"


def test_every_active_agency_owns_a_user_task(parsed, network):
    owners = defaultdict(set)
    for key, protocol in parsed.items():
        for task in protocol.user_tasks.values():
            owners[task.agency_code].add(key)
    assert set(network.active_agencies) <= set(owners), sorted(set(network.active_agencies) - set(owners))
    assert len(network.active_agencies) == 10


def test_user_tasks_have_thai_names_unique_within_their_protocol(parsed):
    for key, protocol in parsed.items():
        labels = [task.label for task in protocol.user_tasks.values()]
        assert all(THAI.search(label) for label in labels), key
        assert len(labels) == len(set(labels)), f"{key}: duplicate task names"


def _timer_table() -> list[dict[str, str]]:
    text = (PROTOCOLS / "README.md").read_text(encoding="utf-8")
    section = text.split("## Timers and their legal basis", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0] in EXPECTED_KEYS:
            rows.append({"protocol": cells[0], "element": cells[1].strip("`"), "value": cells[3].strip("`"), "basis": cells[4]})
    return rows


def _timers_in(path) -> dict[str, str]:
    root = etree.parse(str(path)).getroot()
    timers = {}
    for event in root.iter(f"{{{BPMN_NS}}}boundaryEvent", f"{{{BPMN_NS}}}intermediateCatchEvent", f"{{{BPMN_NS}}}startEvent"):
        for kind in ("timeDuration", "timeDate", "timeCycle"):
            for value in event.iter(f"{{{BPMN_NS}}}{kind}"):
                timers[event.get("id")] = (value.text or "").strip().strip("'\"")
    return timers


def test_every_documented_timer_is_in_the_bpmn_with_its_stated_value():
    rows = _timer_table()
    assert rows, "protocols/README.md lists no timers"
    documented = defaultdict(set)
    for row in rows:
        timers = _timers_in(PROTOCOLS / f"{row['protocol']}.bpmn")
        assert timers.get(row["element"]) == row["value"], row
        assert re.search(r"\b(L|P)\b", row["basis"]), row
        documented[row["protocol"]].add(row["element"])
    # And the other way round: no timer goes undocumented.
    for path in FILES:
        assert set(_timers_in(path)) == documented[path.stem], path.stem


def test_every_diagram_has_a_shape_for_each_node_and_an_edge_for_each_flow():
    for path in FILES:
        root = etree.parse(str(path)).getroot()
        shapes = {s.get("bpmnElement") for s in root.iter(f"{{{DI_NS}}}BPMNShape")}
        edges = {e.get("bpmnElement") for e in root.iter(f"{{{DI_NS}}}BPMNEdge")}
        nodes = {n.get("id") for local in FLOW_NODES for n in root.iter(f"{{{BPMN_NS}}}{local}")}
        flows = {f.get("id") for f in root.iter(f"{{{BPMN_NS}}}sequenceFlow")}
        lanes = {lane.get("id") for lane in root.iter(f"{{{BPMN_NS}}}lane")}
        assert nodes | lanes <= shapes, (path.stem, sorted((nodes | lanes) - shapes))
        assert flows <= edges, (path.stem, sorted(flows - edges))


def _scenarios(path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\s*(Scenario|เหตุการณ์)\s*:", line))


def test_every_protocol_has_two_scenarios_and_a_third_are_thai():
    total = thai = 0
    for key in EXPECTED_KEYS:
        files = sorted(FEATURES.glob(f"{key}*.feature"))
        count = sum(_scenarios(f) for f in files)
        assert count >= 2, key
        thai_here = sum(_scenarios(f) for f in files if f.read_text(encoding="utf-8").lstrip().startswith("# language: th"))
        assert thai_here >= 1, key
        total += count
        thai += thai_here
    assert thai * 3 >= total


# Gherkin's Thai keywords are followed by a space (`และ มีกรณี…`): that space is the syntax's, not
# the sentence's, so a step is judged after its keyword.
_GHERKIN_TH = re.compile(r"^\s*(โครงหลัก:|เหตุการณ์:|กำหนดให้|เมื่อ|ดังนั้น|และ|แต่|\*)\s*")


def test_the_librarys_thai_is_natural_and_uses_the_glossarys_terms():
    glossary = current_glossary()
    found = []
    for path in FILES:
        found += [f"{path.stem}: {f.message_en}" for f in language_findings(etree.parse(str(path)), glossary)]
    for path in sorted(FORMS.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        found += [f"{path.name} {pointer}: {problem}" for pointer, problem in form_problems(schema, glossary)]
    for path in sorted(FEATURES.glob("*.feature")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.name}:{number}: {problem}" for problem in text_problems(_GHERKIN_TH.sub("", line), glossary)]
    assert found == []
