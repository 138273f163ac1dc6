"""Findings point at shapes an editor can select."""
from __future__ import annotations

from engine.errors import ProtocolInvalid
from engine.network.definition import load_network
from engine.protocols.parsing import parse_protocol
from engine.protocols.shapes import drawn_element, shape_ids
from engine.settings import PROJECT_ROOT

P1 = (PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn").read_text(encoding="utf-8")


def test_a_bad_timer_is_reported_on_the_boundary_event_the_canvas_draws():
    # The s.30(2) limit on the questioning, typed as a literal that is no ISO 8601 date-time.
    broken = P1.replace("<bpmn:timeDate>min(instant(separated_at), now()) + hours(12)</bpmn:timeDate>",
                        "<bpmn:timeDate>PT12X</bpmn:timeDate>")
    try:
        parse_protocol(broken, network=load_network(PROJECT_ROOT / "protocols" / "network.toml"))
    except ProtocolInvalid as exc:
        finding = exc.details["findings"][0]
    else:
        raise AssertionError("the bad timer was accepted")
    # The engine names the boundary event that owns the timer, which the diagram draws …
    assert finding.code == "invalid-timer" and finding.element_id == "question_child_limit"
    assert finding.element_id in set(shape_ids(broken).values())
    # … and an element the diagram does not draw (the timer's definition) still maps to it.
    assert drawn_element(broken, "question_child_limit_timer") == "question_child_limit"


def test_drawn_elements_map_to_themselves_and_a_process_to_its_pool():
    owners = shape_ids(P1)
    assert owners["question_child"] == "question_child"
    assert owners["flow_question_child_limit_to_end_custody_limit"] == "flow_question_child_limit_to_end_custody_limit"
    assert owners["p1_abuse_report"] == "p1_abuse_report_participant"


def test_unreadable_or_unsafe_text_maps_nothing():
    assert shape_ids("<not xml") == {}
    assert shape_ids('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>') == {}
    assert drawn_element(P1, None) is None and drawn_element(P1, "no_such_id") is None
