"""Policy staff's protocol pages: the library, drafts with findings on shapes, rehearsal, publishing, diff."""
from __future__ import annotations

import json
import re

import pytest

from engine.protocols import service as protocols
from engine.protocols.library import protocol_summary
from engine.settings import PROJECT_ROOT
from tests.api.pages.conftest import csrf_of, sign_in

P1 = PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn"
SCENARIO = (PROJECT_ROOT / "protocols" / "scenarios" / "p1_custody_overrun.toml").read_text(encoding="utf-8")


@pytest.fixture
def policy(browser, session, accounts, tak_library):
    sign_in(browser, session, "policy")
    return browser


def save_draft(client, xml: str, token: str | None = None):
    headers = {"content-type": "application/xml"}
    if token is not False:
        headers["x-csrf-token"] = token or csrf_of(client)
    return client.post("/protocols/p1_abuse_report/drafts", content=xml.encode("utf-8"), headers=headers)


def renamed_p1(name: str) -> str:
    """P1 with the competent official's s.30(2) questioning task (question_child) renamed."""
    return P1.read_text(encoding="utf-8").replace('name="ซักถามเด็ก"', f'name="{name}"')


def test_the_library_lists_protocols_with_their_versions(policy):
    page = policy.get("/protocols")
    assert page.status_code == 200
    assert "/protocols/p1_abuse_report/edit" in page.text and "/protocols/p2_student_screening" in page.text
    assert "เผยแพร่แล้ว" in page.text
    versions = policy.get("/protocols/p1_abuse_report")
    assert "เผยแพร่ฉบับที่" not in versions.text  # nothing left to publish
    version = policy.get("/protocols/p1_abuse_report/versions/1")
    assert 'data-bpmn-url="/api/v1/protocols/p1_abuse_report/versions/1/bpmn"' in version.text
    assert "ถามปากคำเด็กโดยสหวิชาชีพ" in version.text and "ตำรวจภูธรจังหวัดตาก" in version.text  # tasks with agency names


def test_other_roles_read_the_library_but_may_not_edit(browser, session, accounts, tak_library):
    sign_in(browser, session, "worker.spm_tak")
    assert browser.get("/protocols").status_code == 200
    assert "/edit" not in browser.get("/protocols").text
    assert browser.get("/protocols/p1_abuse_report/edit").status_code == 403
    answer = browser.post("/protocols/p1_abuse_report/drafts", content=b"<x/>",
                          headers={"content-type": "application/xml", "x-csrf-token": csrf_of(browser)})
    assert answer.status_code == 403


def test_the_editor_gets_the_diagram_forms_agencies_and_library_scenarios(policy):
    page = policy.get("/protocols/p1_abuse_report/edit")
    assert page.status_code == 200
    assert "bpmn-modeler.production.min.js" in page.text and "bpmn-js-properties-panel.umd.js" in page.text
    assert '<option value="p1_triage">' in page.text
    assert '<option value="pmj_tak">' in page.text
    scenarios = json.loads(re.search(r'<script type="application/json" id="scenarios">(.*?)</script>', page.text, re.S).group(1))
    assert scenarios == [SCENARIO]
    assert "style-src-attr 'unsafe-hashes' 'sha256-" in page.headers["content-security-policy"]


def test_a_draft_is_stored_as_a_new_unpublished_version(policy, session):
    answer = save_draft(policy, renamed_p1("สอบปากคำเด็ก"))
    assert answer.status_code == 200
    assert 'data-saved="true"' in answer.text and "บันทึกเป็นฉบับที่ 2 (ร่าง) แล้ว" in answer.text
    assert 'action="/protocols/p1_abuse_report/versions/2/publish"' in answer.text
    summary = protocol_summary(session=session, key="p1_abuse_report")
    assert [v.version for v in summary.versions] == [1, 2] and summary.published_version == 1
    assert 'name="สอบปากคำเด็ก"' in summary.latest.bpmn_text


def test_a_bad_timer_is_refused_and_its_finding_names_the_boundary_event(policy, session):
    # The s.30(2) limit on the questioning, typed as a literal that is no ISO 8601 date-time.
    broken = P1.read_text(encoding="utf-8").replace(
        "<bpmn:timeDate>min(instant(separated_at), now()) + hours(12)</bpmn:timeDate>", "<bpmn:timeDate>PT12X</bpmn:timeDate>")
    answer = save_draft(policy, broken)
    assert answer.status_code == 422
    assert 'data-saved="false"' in answer.text and "ยังไม่ได้บันทึก" in answer.text
    # The engine reports the timer definition; the page points at the shape that owns it.
    assert 'data-element="question_child_limit"' in answer.text
    assert "invalid-timer" in answer.text
    assert len(protocol_summary(session=session, key="p1_abuse_report").versions) == 1


def test_saving_needs_the_token(policy):
    assert save_draft(policy, renamed_p1("ก"), token=False).status_code == 403
    assert save_draft(policy, renamed_p1("ก"), token="forged").status_code == 403


def test_publishing_a_draft_makes_it_the_version_new_cases_start_on(policy, session):
    save_draft(policy, renamed_p1("สอบปากคำเด็ก"))
    answer = policy.post("/protocols/p1_abuse_report/versions/2/publish", data={"csrf_token": csrf_of(policy)},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/protocols/p1_abuse_report?published=2"
    assert "เผยแพร่ฉบับที่ 2 แล้ว" in policy.get(answer.headers["location"]).text
    session.expire_all()
    assert protocols.latest_published(session=session, key="p1_abuse_report").version == 2
    again = policy.post("/protocols/p1_abuse_report/versions/2/publish", data={"csrf_token": csrf_of(policy)})
    assert again.status_code == 409 and "ดำเนินการตามคำขอไม่ได้" in again.text


def rehearse(client, xml: str, scenario: str):
    return client.post("/protocols/p1_abuse_report/rehearsal", json={"bpmn": xml, "scenario": scenario},
                       headers={"x-csrf-token": csrf_of(client)})


def test_rehearsal_shows_who_gets_what_and_what_escalates(policy):
    answer = rehearse(policy, P1.read_text(encoding="utf-8"), SCENARIO)
    assert answer.status_code == 200, answer.text
    assert 'data-fragment="rehearsal"' in answer.text
    assert "ลำดับเหตุการณ์" in answer.text
    assert "ซักถามเด็ก" in answer.text and "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดตาก" in answer.text
    # Nobody questioned the child within 12 hours of the separation: after the warning to the
    # office's supervisors, the limit raised level 2, the committee secretariat.
    assert 'class="escalated"' in answer.text and "ระดับ 2" in answer.text
    assert "2569" in answer.text  # Buddhist-era dates
    assert "สถานะ ดำเนินการอยู่" in answer.text


def test_rehearsal_reports_a_bad_scenario_and_a_failed_step(policy):
    bad = rehearse(policy, P1.read_text(encoding="utf-8"), "[start\nat=")
    assert bad.status_code == 422 and "TOML" in bad.text
    failing = SCENARIO.replace('complete = "triage"', 'complete = "no_such_task"')
    stopped = rehearse(policy, P1.read_text(encoding="utf-8"), failing)
    assert stopped.status_code == 422
    assert "สถานการณ์จำลองหยุดลง" in stopped.text and "no_such_task" in stopped.text
    assert "รับแจ้งเหตุ" in stopped.text  # the timeline up to the failure


def test_the_diff_page_colours_both_diagrams_and_lists_the_changes(policy):
    save_draft(policy, renamed_p1("สอบปากคำเด็ก &lt;ทันที&gt;"))  # the name holds "<ทันที>"
    page = policy.get("/protocols/p1_abuse_report/diff?old=1&new=2")
    assert page.status_code == 200
    marks = json.loads(re.search(r'<script type="application/json" id="diff-marks">(.*?)</script>', page.text, re.S).group(1))
    assert marks["old"]["changed"] == ["question_child"] and marks["new"]["changed"] == ["question_child"]
    assert "เปลี่ยนชื่อ" in page.text and "สอบปากคำเด็ก &lt;ทันที&gt;" in page.text
    assert "\\u003c" in page.text or "<ทันที>" not in page.text.split('id="diff-marks"')[1][:200]
    assert policy.get("/protocols/p1_abuse_report/diff?old=1&new=9").status_code == 404
