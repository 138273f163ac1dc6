"""What the law asks of the whole protocol library, read from the shipped BPMN files.

* Every message that leaves a protocol states its PDPA basis, a known one; one on consent names
  the form field that records who consented, which a form before the throw asks for.
* No payload copies a child's names or age: the engine links the child's record instead.
* A case about a child closes only through its supervisor's approval: in P1-P8 no way through
  the process finishes the case without the approve_closure task. (P9 is the committee's own
  monitoring, P10 a data-subject request and P11 a breach: none ends in a decision about a
  child's care.)
"""
from __future__ import annotations

from functools import cache

import pytest
from lxml import etree

from engine.forms.catalogue import load_forms
from engine.protocols.disclosure import (
    CONSENT,
    CONSENTED_BY_PROPERTY,
    LEGAL_BASES,
    LEGAL_BASIS_PROPERTY,
    element_properties,
    personal_names,
)
from engine.protocols.lint import form_key_of, lint_tree, messages_caught
from engine.protocols.loading import BPMN_NS, SPIFF_NS, load_bpmn
from engine.settings import PROJECT_ROOT

PROTOCOLS = PROJECT_ROOT / "protocols"
FORMS = PROJECT_ROOT / "forms"
CHILD_PROTOCOLS = sorted(path for path in PROTOCOLS.glob("p[1-8]_*.bpmn"))
DISCLOSURE_CODES = {"legal-basis-missing", "legal-basis-unknown", "consent-unrecorded", "payload-personal-data"}
THROWS = ("intermediateThrowEvent", "endEvent", "sendTask")


def _tree(path) -> etree._ElementTree:
    return load_bpmn(path.read_bytes(), filename=path.name)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _outgoing_throws(tree: etree._ElementTree) -> list[tuple[etree._Element, str]]:
    names = {m.get("id"): m.get("name") for m in tree.getroot().iter(f"{{{BPMN_NS}}}message")}
    caught = messages_caught(tree)
    found = []
    for element in tree.getroot().iter(*(f"{{{BPMN_NS}}}{local}" for local in THROWS)):
        for definition in element.findall(f"{{{BPMN_NS}}}messageEventDefinition"):
            name = names.get(definition.get("messageRef"))
            if name and name not in caught:
                found.append((element, name))
    return found


def test_every_referral_of_the_library_states_a_known_basis_and_who_consented():
    throws = {path.stem: _outgoing_throws(_tree(path)) for path in sorted(PROTOCOLS.glob("*.bpmn"))}
    counted = {key: len(found) for key, found in throws.items() if found}
    # The referrals of P2, P4, P5, P7 and P8 (issue 12, item 7).
    assert counted == {"p2_student_screening": 6, "p4_conflict_with_law": 1, "p5_out_of_school": 4,
                       "p7_migrant_child": 1, "p8_adolescent_pregnancy": 2}
    bases = {}
    for key, found in throws.items():
        for element, _name in found:
            properties = element_properties(element)
            basis = properties.get(LEGAL_BASIS_PROPERTY)
            assert basis in LEGAL_BASES, (key, element.get("id"))
            # The documentation says the same thing in words (AUTHORING.md's closing line).
            documentation = element.findtext(f"{{{BPMN_NS}}}documentation") or ""
            assert f"({basis};" in documentation, (key, element.get("id"))
            if basis == CONSENT:
                assert properties.get(CONSENTED_BY_PROPERTY) == "consent_given_by", (key, element.get("id"))
            bases[(key, element.get("id"))] = basis
    # Health and disability are sensitive data: their referrals rest on consent.
    assert {where for where, basis in bases.items() if basis == CONSENT} == {
        ("p2_student_screening", "refer_to_p6"), ("p2_student_screening", "refer_to_p8"),
        ("p5_out_of_school", "refer_to_p6"), ("p5_out_of_school", "refer_to_p8"),
    }


def test_the_library_lints_clean_of_the_disclosure_rules_with_its_forms(network):
    forms = load_forms(FORMS)
    for path in sorted(PROTOCOLS.glob("*.bpmn")):
        findings = lint_tree(_tree(path), network=network, forms=forms)
        assert [f for f in findings if f.code in DISCLOSURE_CODES] == [], path.name


def test_no_payload_of_the_library_carries_a_childs_name_or_age():
    payloads = [
        (path.stem, payload.text or "")
        for path in sorted(PROTOCOLS.glob("*.bpmn"))
        for payload in _tree(path).getroot().iter(f"{{{SPIFF_NS}}}messagePayload")
    ]
    assert len(payloads) == 14
    assert [(key, text) for key, text in payloads if personal_names(text)] == []
    # The rule itself: the copies P4, P7 and P8 used to make are caught.
    assert personal_names('{"reason": "x", "child_first_name": child_first_name, "age": age}') == [
        "age", "child_first_name",
    ]
    assert personal_names('{"first": child_last_name}') == ["child_last_name"]
    assert personal_names('{"reason": referral_reason, "interpreter_needed": interpreter_needed}') == []


# -- closure only by the supervisor's approval --------------------------------------------------


class Process:
    """A process as paths: can a case finish without passing an approval?"""

    def __init__(self, tree: etree._ElementTree) -> None:
        self.process = tree.getroot().find(f"{{{BPMN_NS}}}process")
        self.nodes = {e.get("id"): e for e in self.process.iter() if isinstance(e.tag, str) and e.get("id")}
        self.successors: dict[str, list[str]] = {}
        for flow in self.process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            self.successors.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        self.interrupting: dict[str, list[str]] = {}
        for boundary in self.process.iter(f"{{{BPMN_NS}}}boundaryEvent"):
            if boundary.get("cancelActivity", "true") != "false":
                self.interrupting.setdefault(boundary.get("attachedToRef"), []).append(boundary.get("id"))
        self.approvals = {
            node_id for node_id, node in self.nodes.items() if _local(node) == "userTask" and "approve_closure" in node_id
        }
        self.starts = [node_id for node_id, node in self.nodes.items()
                       if _local(node) == "startEvent" and node.getparent() is self.process]

    def needs_approval(self, node_id: str, visiting: frozenset[str] = frozenset()) -> bool:
        return self._needs(node_id, visiting)

    @cache  # noqa: B019 - one Process per test, dropped with it
    def _needs(self, node_id: str, visiting: frozenset[str]) -> bool:
        if node_id in self.approvals:
            return True
        if node_id in visiting:
            return True  # a loop finishes the case only by some other way out, judged there
        node = self.nodes[node_id]
        local = _local(node)
        if local == "endEvent":
            return False
        inside = visiting | {node_id}
        onward = self.successors.get(node_id, [])
        if local in ("parallelGateway", "inclusiveGateway") and len(onward) > 1:
            # Every token must finish: one branch held by the approval holds the case.
            return any(self._needs(next_id, inside) for next_id in onward)
        # Any way on (a flow, an interrupting boundary event) must pass the approval.
        ways = onward + self.interrupting.get(node_id, [])
        return bool(ways) and all(self._needs(next_id, inside) for next_id in ways)


@pytest.mark.parametrize("path", CHILD_PROTOCOLS, ids=lambda path: path.stem)
def test_a_case_about_a_child_closes_only_by_its_supervisors_approval(path, network):
    tree = _tree(path)
    process = Process(tree)
    assert process.approvals == {"approve_closure"}
    approval = process.nodes["approve_closure"]
    lane = tree.getroot().xpath("//bpmn:lane[bpmn:flowNodeRef=$id]", namespaces={"bpmn": BPMN_NS}, id="approve_closure")
    assert lane, "approve_closure is in no lane"
    assert form_key_of(approval) == f"{path.stem.split('_')[0]}_approve_closure"
    groups = approval.get("{http://camunda.org/schema/1.0/bpmn}candidateGroups") or ""
    assert "supervisor" in groups, f"{path.stem}: approve_closure is not a supervisor's task ({groups!r})"
    for start in process.starts:
        assert process.needs_approval(start), f"{path.stem}: a case started at {start} can finish without approval"


def test_the_closure_check_sees_a_way_round_the_approval():
    path = PROTOCOLS / "p4_conflict_with_law.bpmn"
    text = path.read_text(encoding="utf-8")
    # Send the under-12 path straight to the end instead of through the approval.
    bypassed = text.replace('targetRef="merge_close"', 'targetRef="end_closed"', 1)
    assert bypassed != text
    process = Process(load_bpmn(bypassed.encode(), filename=path.name))
    assert not all(process.needs_approval(start) for start in process.starts)


def test_the_referral_table_of_the_protocols_readme_matches_the_bpmn():
    readme = (PROTOCOLS / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Referrals and their PDPA basis", 1)[1].split("\n## ", 1)[0]
    documented = {
        tuple(cell.strip().strip("`") for cell in line.strip().strip("|").split(" | "))
        for line in section.splitlines() if line.startswith("| `")
    }
    in_bpmn = set()
    for path in sorted(PROTOCOLS.glob("*.bpmn")):
        for element, name in _outgoing_throws(_tree(path)):
            properties = element_properties(element)
            payload = element.find(f".//{{{SPIFF_NS}}}messagePayload")
            in_bpmn.add((
                path.stem, element.get("id"), name, properties.get(LEGAL_BASIS_PROPERTY),
                properties.get(CONSENTED_BY_PROPERTY) or "—", (payload.text or "") if payload is not None else "",
            ))
    assert documented == in_bpmn
