"""Diffing two versions of a protocol: by element id, as text (Thai and English) and as JSON."""
from __future__ import annotations

import json
import re

import pytest

from engine.errors import ProtocolInvalid
from engine.protocols.diff import CATEGORIES, diff_protocols
from tests.conftest import FIXTURES

REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")
THAI = re.compile("[\u0e00-\u0e7f]")


def changed(**replacements: str) -> str:
    text = REFERENCE
    for old, new in replacements.values():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_identical_versions_have_no_changes(network):
    difference = diff_protocols(REFERENCE, REFERENCE.encode(), network=network)
    assert difference.is_empty
    assert difference.as_dict()["summary"] == dict.fromkeys(CATEGORIES, 0)
    assert difference.as_text() == "ไม่มีการเปลี่ยนแปลง\nno changes"


def test_every_kind_of_change_to_an_existing_element(network):
    new = changed(
        rename=("ติดตามงานที่ล่าช้า", "ติดตามงาน"),
        move_out=("<bpmn:flowNodeRef>follow_up</bpmn:flowNodeRef>", ""),
        move_in=("<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>assess</bpmn:flowNodeRef><bpmn:flowNodeRef>follow_up</bpmn:flowNodeRef>"),
        timer=("PT24H", "PT12H"),
        interrupting=('cancelActivity="false"', 'cancelActivity="true"'),
        condition=("severity == 'high'", "severity in ('high', 'critical')"),
        form=('camunda:formKey="report_form"', 'camunda:formKey="report_v2"'),
    )
    difference = diff_protocols(REFERENCE, new, network=network)
    data = difference.as_dict()
    assert data["summary"] == {
        "added": 0, "removed": 0, "renamed": 1, "retyped": 0, "moved": 1, "rewired": 0,
        "timers": 1, "conditions": 1, "forms": 1,
    }
    assert data["renamed"] == [{
        "element_id": "follow_up", "type": "userTask", "name": "ติดตามงาน",
        "old": "ติดตามงานที่ล่าช้า", "new": "ติดตามงาน",
    }]
    # Lanes are compared as agencies: this one is named by its id (pmj_tak), not its name.
    assert (data["moved"][0]["element_id"], data["moved"][0]["old"], data["moved"][0]["new"]) == ("follow_up", "spm_tak", "pmj_tak")
    assert data["timers"][0]["element_id"] == "assess_deadline"
    assert (data["timers"][0]["old"], data["timers"][0]["new"]) == (
        {"kind": "timeDuration", "value": "PT24H", "interrupting": False},
        {"kind": "timeDuration", "value": "PT12H", "interrupting": True},
    )
    assert (data["conditions"][0]["element_id"], data["conditions"][0]["new"]) == ("to_assess", "severity in ('high', 'critical')")
    assert (data["forms"][0]["element_id"], data["forms"][0]["old"], data["forms"][0]["new"]) == ("report", "report_form", "report_v2")
    assert json.loads(difference.as_json()) == data

    lines = difference.as_text().splitlines()
    assert len(lines) == 2 * 5
    thai, english = lines[0::2], lines[1::2]
    assert all(THAI.search(line) for line in thai)
    assert english[0] == "~ renamed userTask 'follow_up': \"ติดตามงานที่ล่าช้า\" → \"ติดตามงาน\""
    assert "PT24H (non-interrupting) → timeDuration PT12H (interrupting)" in english[2]


def test_added_removed_retyped_and_rewired_elements(network):
    new = changed(
        # A new task between triage and filing, with its flows; the filing flow is rewired.
        add=("<bpmn:endEvent id=\"end_assessed\">",
             '<bpmn:userTask id="notify_police" name="แจ้งตำรวจ"><bpmn:incoming>to_notify</bpmn:incoming>'
             '<bpmn:outgoing>to_file_after</bpmn:outgoing></bpmn:userTask>'
             '<bpmn:sequenceFlow id="to_file_after" sourceRef="notify_police" targetRef="file_report"/>'
             "<bpmn:endEvent id=\"end_assessed\">"),
        rewire=('<bpmn:sequenceFlow id="to_file" sourceRef="triage" targetRef="file_report"/>',
                '<bpmn:sequenceFlow id="to_file" sourceRef="triage" targetRef="notify_police"/>'),
        lane=("<bpmn:flowNodeRef>file_report</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>file_report</bpmn:flowNodeRef><bpmn:flowNodeRef>notify_police</bpmn:flowNodeRef>"),
        retype=('<bpmn:userTask id="follow_up" name="ติดตามงานที่ล่าช้า" camunda:formKey="note_form">',
                '<bpmn:manualTask id="follow_up" name="ติดตามงานที่ล่าช้า" camunda:formKey="note_form">'),
        retype_end=("</bpmn:userTask>\n    <bpmn:userTask id=\"file_report\"", "</bpmn:manualTask>\n    <bpmn:userTask id=\"file_report\""),
        # An element whose id changed is a removal and an addition, not a rename.
        reid=('id="end_filed"', 'id="end_done"'),
        reid_flow=('targetRef="end_filed"', 'targetRef="end_done"'),
        reid_lane=("<bpmn:flowNodeRef>end_filed</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>end_done</bpmn:flowNodeRef>"),
    )
    data = diff_protocols(REFERENCE, new, network=network).as_dict()
    assert sorted((e["id"], e["type"]) for e in data["added"]) == [
        ("end_done", "endEvent"), ("notify_police", "userTask"), ("to_file_after", "sequenceFlow"),
    ]
    assert next(e for e in data["added"] if e["id"] == "notify_police")["lane"] == "spm_tak"
    assert [(e["id"], e["type"]) for e in data["removed"]] == [("end_filed", "endEvent")]
    assert [(c["element_id"], c["old"], c["new"]) for c in data["retyped"]] == [("follow_up", "userTask", "manualTask")]
    assert sorted(c["element_id"] for c in data["rewired"]) == ["to_end_filed", "to_file"]
    rewired = next(c for c in data["rewired"] if c["element_id"] == "to_file")
    assert (rewired["old"], rewired["new"]) == (
        {"source": "triage", "target": "file_report"}, {"source": "triage", "target": "notify_police"},
    )
    assert data["renamed"] == []


def test_a_changed_default_flow_is_a_condition_change_of_the_gateway(network):
    new = changed(default=('default="to_file"', 'default="to_assess"'),
                  condition=("<bpmn:conditionExpression>severity == 'high'</bpmn:conditionExpression>", ""),
                  other=('<bpmn:sequenceFlow id="to_file" sourceRef="triage" targetRef="file_report"/>',
                         '<bpmn:sequenceFlow id="to_file" sourceRef="triage" targetRef="file_report">'
                         "<bpmn:conditionExpression>severity == 'low'</bpmn:conditionExpression></bpmn:sequenceFlow>"))
    data = diff_protocols(REFERENCE, new, network=network).as_dict()
    assert sorted((c["element_id"], c["old"], c["new"]) for c in data["conditions"]) == [
        ("to_assess", "severity == 'high'", None),
        ("to_file", None, "severity == 'low'"),
        ("triage", "default: to_file", "default: to_assess"),
    ]


def test_a_file_that_cannot_be_read_is_refused_naming_the_side(network):
    with pytest.raises(ProtocolInvalid, match="the new protocol cannot be read") as refused:
        diff_protocols(REFERENCE, "<bpmn:definitions", network=network)
    assert [f.code for f in refused.value.findings] == ["xml-syntax"]
