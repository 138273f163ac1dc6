"""Forms drawn from the real JSON Schemas of forms/, read back, and checked with Thai errors."""
from __future__ import annotations

import json
import re

import pytest
from starlette.datastructures import FormData

from api.pages.formfields import (
    ADD_ROW,
    form_fields,
    raw_from_data,
    read_submission,
    unplaced_errors,
)
from api.pages.i18n import translations
from api.pages.rendering import environment
from engine.forms.validation import field_errors
from engine.settings import PROJECT_ROOT

THAI = translations("th").gettext
ENGLISH = translations("en").gettext


def real_form(name: str) -> dict:
    return json.loads((PROJECT_ROOT / "forms" / f"{name}.schema.json").read_text(encoding="utf-8"))


def by_name(fields):
    return {f.name: f for f in fields}


def submit(schema, pairs):
    return read_submission(schema, FormData(pairs))


def render(fields, language="th", other_errors=()):
    template = environment(language).from_string(
        '{% from "macros/forms.html" import render_fields, error_summary with context %}'
        "{{ error_summary(fields, other_errors) }}{{ render_fields(fields) }}"
    )
    return template.render(fields=fields, other_errors=list(other_errors))


# -- drawing -----------------------------------------------------------------------------------


def test_each_kind_of_field_gets_its_widget():
    fields = by_name(form_fields(real_form("p1_receive_report"), language="th"))
    assert fields["child_first_name"].widget == "text"
    assert fields["incident_summary"].widget == "textarea"  # 2000 characters
    assert fields["child_birth_date"].widget == "date"
    assert fields["child_national_id"].inputmode == "numeric"
    assert fields["report_channel"].widget == "select"  # seven options
    assert fields["concern_type"].widget == "checkboxes"
    assert fields["basic_aid_given"].widget == "yesno"
    assert fields["guardians"].widget == "rows"
    assert [f.name for f in fields["guardians"].rows[0]] == ["guardians.0.name", "guardians.0.relation", "guardians.0.alleged_abuser"]
    triage = by_name(form_fields(real_form("p1_triage"), language="th"))
    assert triage["risk_level"].widget == "radio"  # three options
    police = by_name(form_fields(real_form("p1_police_receive"), language="th"))
    assert police["report_received_at"].widget == "datetime"
    absence = by_name(form_fields(real_form("p5_record_absence"), language="th"))
    assert absence["absence_days"].widget == "integer"


def test_fields_keep_the_authors_order_titles_and_required_marks():
    schema = real_form("p1_receive_report")
    fields = form_fields(schema, language="th")
    assert [f.name for f in fields] == list(schema["properties"])
    named = by_name(fields)
    assert named["child_first_name"].label == schema["properties"]["child_first_name"]["title"]
    assert named["child_first_name"].required and not named["child_last_name"].required
    assert named["report_channel"].description == schema["properties"]["report_channel"]["description"]
    english = by_name(form_fields(schema, language="en"))
    assert english["child_first_name"].label == "Child's first name"
    assert english["report_channel"].description == "CPA s.29: who reported."


def test_enum_titles_are_split_by_language():
    channel = by_name(form_fields(real_form("p1_receive_report"), language="th"))["report_channel"]
    assert (channel.options[0].value, channel.options[0].label) == ("school", "โรงเรียน (รายงานของครูตามมาตรา 29 วรรคสอง)")
    english = by_name(form_fields(real_form("p1_receive_report"), language="en"))["report_channel"]
    assert english.options[0].label == "School (a teacher's s.29 para. 2 report)"
    concern = by_name(form_fields(real_form("p1_receive_report"), language="th"))["concern_type"]
    assert [o.value for o in concern.options][:2] == ["physical_abuse", "sexual_abuse"]


def test_the_rendered_form_labels_every_input():
    html = render(form_fields(real_form("p1_receive_report"), language="th"))
    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html)
    assert ids and all(f'for="{element_id}"' in html for element_id in ids)
    # Radios and checkboxes sit inside their labels, grouped by a fieldset with a legend.
    assert html.count("<fieldset") == html.count("<legend>")
    assert 'type="checkbox" name="concern_type" value="neglect"' in html
    assert 'aria-required="true"' in html


# -- reading back ------------------------------------------------------------------------------


def test_a_submission_is_read_into_typed_data_that_the_engine_accepts():
    schema = real_form("p1_receive_report")
    submitted = submit(schema, [
        ("child_first_name", "มะลิ"), ("child_birth_date", "2011-05-14"), ("child_is_student", "true"),
        ("report_channel", "school"), ("concern_type", "physical_abuse"), ("concern_type", "neglect"),
        ("incident_summary", "ครูพบรอยฟกช้ำ"), ("alleged_abuser_is_school_staff", "false"), ("basic_aid_given", "true"), ("guardians.__rows", "2"), ("guardians.0.name", "สมศรี"),
        ("guardians.0.relation", "parent"), ("guardians.0.alleged_abuser", "false"),
        ("guardians.1.name", ""), ("child_last_name", ""),
    ])
    assert submitted.data == {
        "child_first_name": "มะลิ", "child_birth_date": "2011-05-14", "child_is_student": True, "report_channel": "school",
        "concern_type": ["physical_abuse", "neglect"], "incident_summary": "ครูพบรอยฟกช้ำ",
        "alleged_abuser_is_school_staff": False, "basic_aid_given": True,
        "guardians": [{"name": "สมศรี", "relation": "parent", "alleged_abuser": False}],
    }
    assert submitted.errors(THAI) == {}
    assert field_errors(schema, submitted.data) == []


def test_numbers_and_moments_are_typed():
    absence = submit(real_form("p5_record_absence"), [("child_first_name", "ก"), ("absence_days", "12"), ("dropped_out", "false")])
    assert absence.data["absence_days"] == 12 and absence.errors(THAI) == {}
    police = submit(real_form("p1_police_receive"), [("report_received_at", "2026-11-30T10:30"), ("child_separated", "true")])
    assert police.data["report_received_at"] == "2026-11-30T10:30:00+07:00"  # entered in Tak time
    assert raw_from_data(real_form("p1_police_receive"), {"report_received_at": "2026-11-30T03:30:00+00:00"}) == {
        "report_received_at": "2026-11-30T10:30"}


def test_errors_are_thai_beside_their_fields_and_every_value_is_kept():
    schema = real_form("p5_record_absence")
    submitted = submit(schema, [
        ("child_first_name", ""), ("absence_days", "สิบ"), ("child_national_id", "1234567890123"),
        ("child_birth_date", "2011-02-30"), ("dropped_out", "true"), ("child_nationality", "<script>x</script>"),
    ])
    errors = submitted.errors(THAI)
    assert errors["child_first_name"] == "กรุณากรอกช่องนี้"
    assert errors["absence_days"] == "กรุณากรอกจำนวนเต็ม"
    assert errors["child_national_id"].startswith("กรุณากรอกเลขประจำตัวประชาชน 13 หลัก")
    assert errors["child_birth_date"] == "กรุณากรอกวันที่ให้ถูกต้อง"
    assert "dropped_out" not in errors
    fields = by_name(form_fields(schema, language="th", raw=submitted.raw, errors=errors))
    assert fields["absence_days"].value == "สิบ" and fields["absence_days"].error == "กรุณากรอกจำนวนเต็ม"
    assert fields["dropped_out"].value == "true"
    html = render(list(fields.values()), other_errors=unplaced_errors(list(fields.values()), errors))
    assert 'value="สิบ"' in html and 'value="1234567890123"' in html
    assert 'value="&lt;script&gt;x&lt;/script&gt;"' in html and "<script>x" not in html
    assert 'id="f-absence_days-error">กรุณากรอกจำนวนเต็ม<' in html
    assert 'aria-describedby="f-absence_days-error"' in html or 'f-absence_days-error"' in html
    assert 'href="#f-absence_days"' in html  # the summary links to the field
    assert submitted.errors(ENGLISH)["absence_days"] == "Enter a whole number."


def test_bounds_lengths_choices_and_conditional_requirements_are_explained():
    absence = submit(real_form("p5_record_absence"), [("child_first_name", "ก" * 101), ("absence_days", "-1"), ("dropped_out", "maybe")])
    errors = absence.errors(THAI)
    assert errors["child_first_name"] == "กรอกได้ไม่เกิน 100 ตัวอักษร"
    assert errors["absence_days"] == "ค่าต้องไม่น้อยกว่า 0"
    assert errors["dropped_out"] == "กรุณาเลือกจากตัวเลือกที่มี"
    unanswered = submit(real_form("p5_record_absence"), [("child_first_name", "ก"), ("absence_days", "3")]).errors(THAI)
    assert unanswered == {"dropped_out": "กรุณาเลือกคำตอบ"}
    report = submit(real_form("p1_receive_report"), [("child_first_name", "ก"), ("report_channel", "fax"), ("incident_summary", "x")])
    report_errors = report.errors(THAI)
    assert report_errors["report_channel"] == "กรุณาเลือกจากตัวเลือกที่มี"
    assert report_errors["concern_type"] == "กรุณาเลือกคำตอบ"  # a required choice left unanswered
    schema = real_form("p7_receive_child")
    base = [("child_first_name", "ก"), ("child_language", "กะเหรี่ยง"), ("interpreter_needed", "true"),
            ("unaccompanied", "false"), ("trafficking_indicator", "false")]
    document = schema["properties"]["identity_document"]
    value = document["enum"][0] if "enum" in document else "none"
    conditional = submit(schema, base + [("identity_document", value)]).errors(THAI)
    assert conditional.get("interpreter_language") == "กรุณาเลือกคำตอบ"  # required only because an interpreter is needed


def test_rows_can_be_added_without_javascript_and_blank_rows_are_dropped():
    schema = real_form("p1_receive_report")
    submitted = submit(schema, [("guardians.__rows", "1"), ("guardians.0.name", "สมศรี"), (ADD_ROW, "guardians")])
    assert submitted.more_rows_for == "guardians"
    guardians = by_name(form_fields(schema, language="th", raw=submitted.raw, extra_rows=submitted.extra_rows()))["guardians"]
    assert len(guardians.rows) == 2 and guardians.rows[0][0].value == "สมศรี" and guardians.rows[1][0].value == ""
    ignored = submit(schema, [(ADD_ROW, "child_first_name")])
    assert ignored.more_rows_for is None  # only an array of objects grows


def test_typed_data_is_shown_back_as_the_inputs_hold_it():
    schema = real_form("p1_receive_report")
    data = {"child_first_name": "มะลิ", "concern_type": ["neglect"], "basic_aid_given": False,
            "guardians": [{"name": "สมศรี", "relation": "parent"}]}
    raw = raw_from_data(schema, data)
    assert raw["concern_type"] == ["neglect"] and raw["basic_aid_given"] == "false"
    assert raw["guardians.__rows"] == "1" and raw["guardians.0.name"] == "สมศรี"
    again = read_submission(schema, FormData([(k, v) for k, value in raw.items() for v in (value if isinstance(value, list) else [value])]))
    assert again.data == data


@pytest.mark.parametrize("name", sorted(p.name.removesuffix(".schema.json") for p in (PROJECT_ROOT / "forms").glob("*.schema.json")))
def test_every_form_of_the_library_renders_with_labels(name):
    fields = form_fields(real_form(name), language="th")
    html = render(fields)
    assert all(f.label for f in fields)
    assert html.count("<label") + html.count("<legend>") >= len(fields)
