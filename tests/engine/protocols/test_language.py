"""The language rules: Thai written as Thai is written, in the glossary's terms."""
from __future__ import annotations

import pytest
from lxml import etree

from engine.protocols.findings import Severity
from engine.protocols.language import (
    GlossaryInvalid,
    current_glossary,
    form_problems,
    language_findings,
    load_glossary,
    parse_glossary,
    spacing_problems,
    text_problems,
)
from engine.settings import PROJECT_ROOT

GLOSSARY = load_glossary(PROJECT_ROOT / "protocols" / "glossary.toml")


def _fragments(text: str) -> list[str]:
    return [problem.fragment for problem in text_problems(text, GLOSSARY)]


def test_word_by_word_spacing_is_flagged():
    assert _fragments("การ คุ้มครอง เด็ก") == ["การ คุ้มครอง"]
    assert spacing_problems("เด็ก ที่ ถูก ทารุณกรรม")[0].suggestion == "ที่ถูก"
    assert _fragments("ส่งรายงาน ได้ แล้ว") == ["ส่งรายงาน ได้", "ได้ แล้ว"]


@pytest.mark.parametrize(
    "text",
    [
        "การคุ้มครองเด็กที่ถูกทารุณกรรม",
        # A space between clauses, and between the items of a list, is how Thai is written.
        "พนักงานเจ้าหน้าที่ซักถามเด็กได้ไม่เกิน 12 ชั่วโมง เมื่อพ้นกำหนดให้ส่งคืนผู้ปกครอง",
        "สืบเสาะอายุ ประวัติ ความประพฤติ สุขภาพ และสิ่งแวดล้อมของเด็ก",
        "อื่น ๆ",
        "มาตรา 30 วรรคสอง และ 33",
        "เมื่อช่วยเหลือตาม (1) ไม่ได้ ภายในหนึ่งเดือนให้เลือกวิธีอื่น",
        "ทำตาม (1) ได้ ภายในหนึ่งเดือน",
        "โรงเรียนรายงานเหตุ และ พมจ. รับเรื่อง",
    ],
)
def test_natural_thai_is_accepted(text):
    assert text_problems(text, GLOSSARY) == []


def test_a_variant_the_glossary_replaces_is_flagged_with_the_term_to_use():
    [problem] = text_problems("ผู้อุปการะเลี้ยงดูของเด็ก", GLOSSARY)
    assert (problem.code, problem.fragment, problem.suggestion) == ("glossary-term", "ผู้อุปการะ", "ผู้รับเด็กไว้อุปการะเลี้ยงดู")


def test_a_glossary_term_broken_by_a_space_is_flagged():
    [problem] = text_problems("ส่งตัวเด็กไปสถาน แรกรับ", GLOSSARY)
    assert (problem.code, problem.suggestion) == ("glossary-term", "สถานแรกรับ")


def test_the_glossary_refuses_a_term_that_contains_its_own_variant_and_incomplete_entries():
    with pytest.raises(GlossaryInvalid, match="contains the variant"):
        parse_glossary({"terms": [{"th": "ผู้อุปการะเลี้ยงดู", "en": "x", "source": "y", "avoid": ["ผู้อุปการะ"]}]})
    with pytest.raises(GlossaryInvalid, match="lacks source"):
        parse_glossary({"terms": [{"th": "เด็ก", "en": "child"}]})


def test_the_installed_glossary_is_the_protocols_glossary():
    assert current_glossary() == GLOSSARY
    assert {"ผู้คุ้มครองสวัสดิภาพเด็ก", "ผู้ปกครองสวัสดิภาพ", "ซักถาม", "พนักงานเจ้าหน้าที่"} <= {t.th for t in GLOSSARY.terms}


def test_names_and_documentation_of_a_protocol_are_read():
    tree = etree.ElementTree(etree.fromstring(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        '<bpmn:process id="p" name="การคุ้มครองเด็ก">'
        '<bpmn:userTask id="ask" name="ซักถาม เด็ก ที่ ถูก แยก ตัว">'
        "<bpmn:documentation>ให้ ผู้อุปการะ ทราบ</bpmn:documentation></bpmn:userTask>"
        "</bpmn:process></bpmn:definitions>"
    ))
    findings = language_findings(tree, GLOSSARY)
    assert [(f.code, f.element_id, f.severity) for f in findings] == [
        ("thai-spacing", "ask", Severity.WARNING),
        ("thai-spacing", "ask", Severity.WARNING),
        ("glossary-term", "ask", Severity.WARNING),
    ]
    assert "'ที่ ถูก' → 'ที่ถูก'" in findings[0].message_en
    assert "เว้นวรรคระหว่างคำ" in findings[0].message_th and "ผู้รับเด็กไว้อุปการะเลี้ยงดู" in findings[2].message_th


def test_form_titles_descriptions_and_enum_labels_are_read():
    schema = {
        "title": "แบบ รับ เรื่อง และ ประเมิน",
        "properties": {
            "relation": {
                "title": "ความเกี่ยวข้องกับเด็ก",
                "enum": ["custodian"],
                "x-enum-titles": {"custodian": "ผู้อุปการะ / Custodian"},
            },
            "note": {"title": "บันทึก", "description": "เขียน เฉพาะ ที่ จำเป็น", "default": "การ ทดสอบ"},
        },
    }
    assert [(pointer, problem.code) for pointer, problem in form_problems(schema, GLOSSARY)] == [
        ("/title", "thai-spacing"),
        ("/properties/relation/x-enum-titles/custodian", "glossary-term"),
        ("/properties/note/description", "thai-spacing"),
    ]
