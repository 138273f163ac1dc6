"""The case page (history, linked cases, agencies, the child's record masked by role, the
diagram's progress), the case list, and starting a case of a protocol one's agency starts."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, CaseLink, WorkItem
from engine.deadlines.tick import tick
from tests.api.pages.conftest import csrf_of, sign_in
from tests.api.pages.test_work_pages import INTAKE, start_p1

INTAKE_DATA = {
    "child_first_name": "มะลิ", "child_last_name": "ใจดี", "child_birth_date": "2011-05-14",
    "child_national_id": "1103700123458", "child_is_student": True, "report_channel": "school",
    "reporter_role": "teacher", "concern_type": ["physical_abuse"], "incident_summary": "ครูพบรอยฟกช้ำ",
    "alleged_abuser_is_school_staff": False, "basic_aid_given": True,
    "guardians": [{"name": "สมชาย ใจดี", "relation": "step_parent", "alleged_abuser": True}],
}
TRIAGE = {"risk_level": "high", "needs_separation": False, "offence_suspected": True,
          "alleged_abuser_in_household": True, "best_interests_considered": True}


@pytest.fixture
def triaged(session, clock, network, tak_library, workers):
    """A P1 case past intake and triage: the police hold its complaint task, 24 hours to go."""
    case, intake = start_p1(session, clock, network, workers["pmj"])
    commands.complete(session=session, work_item_id=intake.id, data=INTAKE_DATA, actor=workers["pmj"], clock=clock,
                      network=network)
    triage = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "triage"))
    commands.complete(session=session, work_item_id=triage.id, data=TRIAGE, actor=workers["pmj"], clock=clock,
                      network=network)
    return session.get(Case, case.id)


def status_block(text: str) -> dict:
    found = re.search(r'<script type="application/json" id="case-status">(.*?)</script>', text, re.S)
    assert found, "no case-status data block"
    return json.loads(found.group(1))


def test_the_case_page_shows_history_agencies_child_and_progress(browser, session, clock, network, triaged):
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)  # the police's 24 hours pass
    sign_in(browser, session, "worker.police_tak")
    page = browser.get(f"/cases/{triaged.id}")
    assert page.status_code == 200
    assert f"กรณี {triaged.reference}" in page.text
    main = page.text[page.text.index("<main"):]
    for agency in ("สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดตาก", "ตำรวจภูธรจังหวัดตาก"):
        assert agency in main
    # The child, whole, for a case worker of an involved agency.
    assert "มะลิ ใจดี" in page.text and "1103700123458" in page.text and "สมชาย ใจดี" in page.text
    assert "ผู้ถูกกล่าวหาว่ากระทำ" in page.text
    # History from the audit trail, reads left out.
    timeline = page.text[page.text.index('id="timeline"'):]
    for what in ("เปิดกรณี", "เกิดงานใหม่", "งานเสร็จ", "เชื่อมกับประวัติเด็ก", "เกิดการยกระดับ"):
        assert what in timeline, what
    assert "เปิดอ่านกรณี" not in timeline
    with_reads = browser.get(f"/cases/{triaged.id}", params={"reads_shown": "true"})
    assert "เปิดอ่านกรณี" in with_reads.text[with_reads.text.index('id="timeline"'):]
    # The diagram's progress: intake and triage done, the complaint overdue with its badge.
    status = status_block(page.text)
    assert {"receive_report", "triage"} <= set(status["done"])
    assert "police_receive" in status["overdue"]
    assert status["badges"]["police_receive"]["state"] == "overdue"
    assert status["badges"]["police_receive"]["text"].startswith("เกินกำหนด")
    assert [e.action for e in session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == triaged.id, AuditEvent.actor_username == "worker.police_tak"))] == [
        "case.viewed", "case.audit_viewed", "case.viewed", "case.audit_viewed"]


def test_the_committee_sees_the_childs_record_masked(browser, session, triaged):
    sign_in(browser, session, "committee")
    page = browser.get(f"/cases/{triaged.id}")
    assert page.status_code == 200
    assert "1103700123458" not in page.text and "มะลิ ใจดี" not in page.text and "สมชาย ใจดี" not in page.text
    assert "ม.จ." in page.text and "3458" not in page.text and "2554" not in page.text
    assert "ปิดบังชื่อและเลขประจำตัวไว้" in page.text
    listed = browser.get("/cases")
    assert "ม.จ." in listed.text and "มะลิ" not in listed.text


def test_an_uninvolved_agency_gets_the_not_found_page_for_a_case(browser, session, triaged):
    sign_in(browser, session, "worker.culture_tak")
    page = browser.get(f"/cases/{triaged.id}")
    assert page.status_code == 404 and "ไม่พบหน้านี้" in page.text and triaged.reference not in page.text
    assert browser.get("/cases/abc").status_code == 404
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert [(e.case_id, e.details["resource"]) for e in denied] == [(triaged.id, "case")]


def test_linked_cases_show_only_those_the_reader_may_see(browser, session, clock, network, triaged, workers):
    mine, _ = start_p1(session, clock, network, workers["pmj"])
    theirs = commands.start_case(session=session, protocol_key="p2_student_screening", data={}, actor=workers["school"],
                                 clock=clock, network=network, reporting_unit="school_takpit")
    session.add_all([CaseLink(from_case_id=triaged.id, to_case_id=mine.id, message="refer", created_at=clock.now()),
                     CaseLink(from_case_id=theirs.id, to_case_id=triaged.id, message="refer", created_at=clock.now(),
                              legal_basis="legal_duty")])
    session.commit()
    sign_in(browser, session, "worker.pmj_tak")
    page = browser.get(f"/cases/{triaged.id}")
    linked = page.text[page.text.index('id="linked-cases"'):]
    linked = linked[:linked.index("</ul>")]
    assert mine.reference in linked and theirs.reference not in linked
    browser.cookies.clear()
    sign_in(browser, session, "committee")
    linked = browser.get(f"/cases/{triaged.id}").text
    assert theirs.reference in linked and "ส่งต่อมาจาก" in linked
    # With the basis the referral disclosed the child's data on.
    assert "ฐานทางกฎหมาย: การปฏิบัติตามกฎหมาย" in linked


def test_starting_a_case_offers_only_the_protocols_ones_agency_starts(browser, session, clock, network, tak_library, workers):
    sign_in(browser, session, "worker.pmj_tak")
    page = browser.get("/cases/new")
    assert page.status_code == 200
    assert 'value="p1_abuse_report"' in page.text and 'value="p2_student_screening"' not in page.text
    token = csrf_of(browser, "/cases/new")
    refused = browser.post("/cases/new", data={"csrf_token": token, "protocol": "p2_student_screening",
                                               "reporting_unit": "pmj_tak"})
    assert refused.status_code == 422 and "กรุณาเลือกโพรโทคอลที่หน่วยงานของคุณเป็นผู้เริ่ม" in refused.text
    assert session.scalar(select(Case.id)) is None
    started = browser.post("/cases/new", data={"csrf_token": token, "protocol": "p1_abuse_report",
                                               "reporting_unit": "school_takpit"}, follow_redirects=False)
    assert started.status_code == 303
    case = session.scalar(select(Case))
    intake = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assert started.headers["location"] == f"/tasks/{intake.id}"
    assert (case.reporting_unit, intake.task_name) == ("school_takpit", "receive_report")
    # The school's worker starts screenings, not abuse reports.
    browser.cookies.clear()
    sign_in(browser, session, "worker.spm_tak")
    school = browser.get("/cases/new").text
    assert 'value="p2_student_screening"' in school and 'value="p1_abuse_report"' not in school
    without_token = browser.post("/cases/new", data={"protocol": "p2_student_screening", "reporting_unit": "spm_tak"})
    assert without_token.status_code == 403
    assert session.scalar(select(Case.id).where(Case.id != case.id)) is None


def test_policy_staff_may_not_open_case_pages(browser, session, triaged):
    sign_in(browser, session, "policy")
    assert browser.get(f"/cases/{triaged.id}").status_code == 403
    assert browser.get("/cases/new").status_code == 403


def test_the_case_list_searches_the_cases_one_may_see(browser, session, clock, network, triaged, workers):
    other, _ = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    found = browser.get("/cases", params={"q": "มะลิ"})
    assert triaged.reference in found.text and other.reference not in found.text
    assert triaged.reference in browser.get("/cases").text and other.reference in browser.get("/cases").text
    browser.cookies.clear()
    sign_in(browser, session, "worker.culture_tak")
    assert triaged.reference not in browser.get("/cases").text


def test_the_task_page_shows_the_intake_values_after_completion(browser, session, triaged):
    sign_in(browser, session, "worker.pmj_tak")
    intake = session.scalar(select(WorkItem).where(WorkItem.case_id == triaged.id, WorkItem.task_name == "receive_report"))
    page = browser.get(f"/tasks/{intake.id}")
    assert page.status_code == 200 and 'value="มะลิ"' in page.text and "<fieldset disabled" in page.text
    assert 'id="task-form"' not in page.text
    assert INTAKE["incident_summary"] not in page.text  # the values shown are this case's, not a template's


def test_a_supervisor_reopens_a_closed_case_from_its_page(browser, session, clock, network, accounts):
    from engine.cases.links import case_links
    from tests.conftest import add_user
    from tests.engine.privacy.scenes import MALEE, case_for_child, close_filed_case, publish_intake_protocol

    publish_intake_protocol(session, network, clock, accounts["policy"])
    add_user(session, "supervisor.spm_tak", "supervisor", "spm_tak")
    closed = close_filed_case(session, network, clock, accounts["worker"],
                              case_for_child(session, network, clock, accounts["worker"], MALEE))
    # The worker who filed it sees no way to re-open it: that is the supervisor's decision.
    sign_in(browser, session, "worker.spm_tak")
    assert 'id="reopen-form"' not in browser.get(f"/cases/{closed.id}").text

    sign_in(browser, session, "supervisor.spm_tak")
    page = browser.get(f"/cases/{closed.id}")
    assert 'id="reopen-form"' in page.text and "เปิดกรณีอีกครั้ง" in page.text
    token = csrf_of(browser, f"/cases/{closed.id}")
    empty = browser.post(f"/cases/{closed.id}/reopen", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422 and "โปรดระบุเหตุที่เปิดกรณีอีกครั้ง" in empty.text
    moved = browser.post(f"/cases/{closed.id}/reopen", data={"csrf_token": token, "reason": "ครูพบรอยช้ำใหม่"},
                         follow_redirects=False)
    assert moved.status_code == 303
    [link] = case_links(session=session, case_id=closed.id)
    assert (link.relation, moved.headers["location"]) == ("reopened_as", f"/cases/{link.case.id}")
    new_page = browser.get(moved.headers["location"]).text
    assert "เปิดใหม่จากกรณี" in new_page and closed.reference in new_page
    timeline = new_page[new_page.index('id="timeline"'):]
    assert "เปิดใหม่จากกรณีที่ปิดแล้ว" in timeline and "ครูพบรอยช้ำใหม่" in timeline
    # Re-opened once: the closed case's page offers it no more, and a second post is refused.
    again = browser.get(f"/cases/{closed.id}").text
    assert 'id="reopen-form"' not in again and "เปิดกรณีใหม่เป็น" in again
    refused = browser.post(f"/cases/{closed.id}/reopen", data={"csrf_token": token, "reason": "อีกครั้ง"})
    assert refused.status_code == 409


def test_the_timeline_names_a_referrals_legal_basis():
    from types import SimpleNamespace

    from api.pages.cases import _timeline_entry
    from api.pages.i18n import translations

    thai = translations("th").gettext
    event = SimpleNamespace(action="case.referred", work_item_id=None,
                            details={"message": "refer_p1", "to_case": "TAK-2026-000002", "legal_basis": "legal_duty"})
    entry = _timeline_entry(event, {}, thai)
    assert entry["about"] == "TAK-2026-000002 · ฐานทางกฎหมาย: การปฏิบัติตามกฎหมาย"
