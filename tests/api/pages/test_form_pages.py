"""Forms for policy staff: the list, the preview as a case worker sees it, the JSON editor."""
from __future__ import annotations

import json

import pytest

from engine.forms.service import form_schema
from tests.api.pages.conftest import csrf_of, sign_in


@pytest.fixture
def policy(browser, session, accounts, tak_library):
    sign_in(browser, session, "policy")
    return browser


def test_the_list_shows_every_form_with_its_thai_title(policy, tak_library):
    page = policy.get("/forms")
    assert page.status_code == 200
    assert page.text.count('href="/forms/p') >= len(tak_library)
    assert "แบบคัดกรองและประเมินความเสี่ยง" in page.text


def test_the_preview_checks_answers_as_a_completion_would_and_keeps_them(policy, session):
    page = policy.get("/forms/p1_triage")
    assert page.status_code == 200 and 'name="risk_level"' in page.text
    answer = policy.post("/forms/p1_triage", data={
        "csrf_token": csrf_of(policy, "/forms/p1_triage"), "risk_level": "high",
        "triage_note": 'ผู้ปกครอง <script>alert(1)</script> "ไม่ยอม"',
    })
    assert answer.status_code == 422
    assert "กรุณาแก้ไขช่องที่มีเครื่องหมาย" in answer.text and "กรุณาเลือกคำตอบ" in answer.text
    assert 'value="high" checked' in answer.text
    assert "ผู้ปกครอง &lt;script&gt;alert(1)&lt;/script&gt; &#34;ไม่ยอม&#34;" in answer.text
    accepted = policy.post("/forms/p1_triage", data={
        "csrf_token": csrf_of(policy, "/forms/p1_triage"), "risk_level": "low", "needs_separation": "false",
        "offence_suspected": "false", "best_interests_considered": "true",
    })
    assert accepted.status_code == 200 and "คำตอบเหล่านี้ผ่านการตรวจ" in accepted.text


def test_the_preview_adds_rows_without_javascript(policy):
    answer = policy.post("/forms/p1_receive_report", data={
        "csrf_token": csrf_of(policy, "/forms/p1_receive_report"), "guardians.__rows": "1",
        "guardians.0.name": "สมศรี", "_add_row": "guardians",
    })
    assert answer.status_code == 200
    assert 'name="guardians.1.name"' in answer.text and 'value="สมศรี"' in answer.text
    assert "กรุณาแก้ไข" not in answer.text  # adding a row is not a submission


def test_the_editor_refuses_broken_json_and_invalid_schemas_keeping_the_text(policy, session):
    edit = policy.get("/forms/p1_triage/edit")
    assert edit.status_code == 200 and "&#34;risk_level&#34;" in edit.text
    broken = policy.post("/forms/p1_triage/edit", data={"csrf_token": csrf_of(policy), "schema_text": '{"type": "object",,}',
                                                        "action": "save"})
    assert broken.status_code == 422 and "JSON ไม่ถูกต้อง: บรรทัด 1 คอลัมน์ 19" in broken.text
    assert "{&#34;type&#34;: &#34;object&#34;,,}" in broken.text
    not_object = policy.post("/forms/p1_triage/edit", data={"csrf_token": csrf_of(policy), "schema_text": '{"type": "array"}'})
    assert not_object.status_code == 422 and "type &#39;object&#39;" in not_object.text
    outside = policy.post("/forms/p1_triage/edit", data={"csrf_token": csrf_of(policy), "schema_text": json.dumps(
        {"type": "object", "properties": {"x": {"$ref": "https://evil.example/s.json"}}})})
    assert outside.status_code == 422 and "self-contained" in outside.text
    assert form_schema(session, "p1_triage")["properties"]["risk_level"]["enum"] == ["low", "medium", "high"]


def test_checking_does_not_store_and_saving_stores_in_the_authors_order(policy, session):
    schema = {"type": "object", "title": "คัดกรอง", "required": ["z_first"],
              "properties": {"z_first": {"type": "string", "title": "ข้อแรก"}, "a_second": {"type": "boolean", "title": "ข้อสอง"}}}
    text = json.dumps(schema, ensure_ascii=False)
    checked = policy.post("/forms/p1_triage/edit", data={"csrf_token": csrf_of(policy), "schema_text": text, "action": "check"})
    assert checked.status_code == 200 and "schema ถูกต้อง" in checked.text
    assert "z_first" not in form_schema(session, "p1_triage")["properties"]
    saved = policy.post("/forms/p1_triage/edit", data={"csrf_token": csrf_of(policy), "schema_text": text, "action": "save"},
                        follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/forms/p1_triage/edit?saved=1"
    session.expire_all()
    assert list(form_schema(session, "p1_triage")["properties"]) == ["z_first", "a_second"]
    preview = policy.get("/forms/p1_triage").text
    assert preview.index("ข้อแรก") < preview.index("ข้อสอง")


def test_only_authors_edit_forms(browser, session, accounts, tak_library):
    sign_in(browser, session, "supervisor.pmj_tak")
    assert browser.get("/forms/p1_triage").status_code == 200  # the API shows forms to everyone signed in
    assert browser.get("/forms/p1_triage/edit").status_code == 403
    assert browser.get("/forms/no_such_form").status_code == 404
