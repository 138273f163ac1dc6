"""The supervisor's dashboard (charts, escalations to acknowledge, resolve and reassign, on-time
rates, the audited CSV) and the committee's printable monitoring report."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases.models import Escalation, WorkItem
from engine.deadlines.tick import tick
from tests.api.pages.conftest import csrf_of, sign_in
from tests.api.pages.test_work_pages import start_p1
from tests.conftest import add_user


@pytest.fixture
def late(session, clock, network, tak_library, accounts):
    """A P1 intake left for four hours: overdue, escalated to the social development office's supervisors."""
    worker = add_user(session, "worker.pmj_tak", "case_worker", "pmj_tak")
    add_user(session, "worker2.pmj_tak", "case_worker", "pmj_tak")
    case, item = start_p1(session, clock, network, worker)
    clock.advance(timedelta(hours=4))
    tick(session=session, clock=clock, network=network)
    escalation = session.scalar(select(Escalation).where(Escalation.work_item_id == item.id))
    assert escalation is not None and escalation.target_agency_code == "pmj_tak"
    return case, item, escalation


def test_the_dashboard_charts_lists_and_rates_overdue_work(browser, session, late):
    case, item, escalation = late
    sign_in(browser, session, "supervisor.pmj_tak")
    page = browser.get("/dashboard")
    assert page.status_code == 200
    chart = page.text[page.text.index('id="overdue-by-agency"'):]
    chart = chart[:chart.index("</table>")]
    assert re.search(r'<tr data-key="pmj_tak">.*?<rect width="100\.0" height="10"></rect></svg><span class="bar-value">1</span>',
                     chart, re.S)
    assert 'id="overdue-by-protocol"' in page.text and "<style" not in page.text and ' style="' not in page.text
    overdue = page.text[page.text.index('id="overdue"'):]
    assert f'data-task-id="{item.id}"' in overdue and case.reference in overdue
    assert f'id="escalation-{escalation.id}"' in page.text and "ขั้นที่ 1" in page.text
    assert 'name="assignee"' in page.text and "worker2.pmj_tak" in page.text
    assert 'id="on-time"' in page.text


def test_a_supervisor_acknowledges_resolves_and_reassigns_from_the_dashboard(browser, session, late):
    _case, item, escalation = late
    sign_in(browser, session, "supervisor.pmj_tak")
    token = csrf_of(browser, "/dashboard")
    empty = browser.post(f"/escalations/{escalation.id}/acknowledge", data={"csrf_token": token, "note": "  "})
    assert empty.status_code == 422 and "กรุณาบันทึกสิ่งที่พบหรือสิ่งที่ได้ทำ" in empty.text
    done = browser.post(f"/escalations/{escalation.id}/acknowledge",
                        data={"csrf_token": token, "note": "โทรตามผู้รับแจ้งแล้ว <b>ด่วน</b>"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard?done=acknowledged"
    session.expire_all()
    acknowledged = session.get(Escalation, escalation.id)
    assert (acknowledged.status, acknowledged.climb_at) == ("acknowledged", None)
    page = browser.get("/dashboard?done=acknowledged")
    assert "รับทราบการยกระดับแล้ว" in page.text and "โทรตามผู้รับแจ้งแล้ว &lt;b&gt;ด่วน&lt;/b&gt;" in page.text
    colleague = session.scalar(select(WorkItem.id).where(WorkItem.id == item.id))
    who = add_user(session, "worker3.pmj_tak", "case_worker", "pmj_tak")
    assigned = browser.post(f"/tasks/{colleague}/assignee", data={"csrf_token": token, "assignee": str(who.user_id)},
                            follow_redirects=False)
    assert assigned.status_code == 303
    session.expire_all()
    task = session.get(WorkItem, item.id)
    assert (task.state, task.assignee_id) == ("claimed", who.user_id)
    outsider = add_user(session, "worker.police_tak", "case_worker", "police_tak")
    refused = browser.post(f"/tasks/{item.id}/assignee", data={"csrf_token": token, "assignee": str(outsider.user_id)})
    assert refused.status_code == 422 and "กรุณาเลือกผู้ปฏิบัติงานของหน่วยงานที่ทำงานนี้ได้" in refused.text
    resolved = browser.post(f"/escalations/{escalation.id}/resolve", data={"csrf_token": token, "note": "มอบงานใหม่แล้ว"},
                            follow_redirects=False)
    assert resolved.status_code == 303
    session.expire_all()
    assert session.get(Escalation, escalation.id).status == "resolved"
    assert f'id="escalation-{escalation.id}"' not in browser.get("/dashboard").text


def test_escalation_forms_need_the_token_and_the_right_supervisor(browser, session, late):
    _case, _item, escalation = late
    sign_in(browser, session, "supervisor.pmj_tak")
    assert browser.post(f"/escalations/{escalation.id}/acknowledge", data={"note": "ไม่มีโทเคน"}).status_code == 403
    browser.cookies.clear()
    add_user(session, "supervisor.police_tak", "supervisor", "police_tak")
    sign_in(browser, session, "supervisor.police_tak")
    other = browser.post(f"/escalations/{escalation.id}/acknowledge",
                         data={"csrf_token": csrf_of(browser, "/dashboard"), "note": "ไม่ใช่งานของเรา"})
    assert other.status_code == 404
    session.expire_all()
    assert session.get(Escalation, escalation.id).status == "open"
    browser.cookies.clear()
    sign_in(browser, session, "worker.pmj_tak")
    assert browser.get("/dashboard").status_code == 403


def test_the_overdue_csv_is_a_spreadsheet_and_the_export_is_audited(browser, session, late):
    case, _item, _escalation = late
    sign_in(browser, session, "supervisor.pmj_tak")
    answer = browser.get("/dashboard/overdue.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][0] == "กรณี" and rows[1][0] == case.reference and rows[1][2] == "รับแจ้งเหตุ"
    assert rows[1][5] == "1"  # hours overdue
    exported = session.scalar(select(AuditEvent).where(AuditEvent.action == "overdue.exported"))
    assert exported.actor_username == "supervisor.pmj_tak" and exported.details["case_ids"] == [case.id]


def test_the_committee_report_counts_per_agency_and_protocol_and_prints(browser, session, clock, late):
    sign_in(browser, session, "committee")
    page = browser.get("/committee")
    assert page.status_code == 200
    by_protocol = page.text[page.text.index('id="report-by-protocol"'):]
    row = re.search(r"<tr><th scope=\"row\">([^<]+)</th>(.*?)</tr>", by_protocol, re.S)
    assert "การคุ้มครองเด็กที่ถูกทารุณกรรม" in row.group(1)
    cells = re.findall(r"<td>(.*?)</td>", row.group(2), re.S)
    assert cells[0] == "1" and cells[4] == "1"  # one case opened, one escalation raised
    assert 'src="/static/js/print.js"' in page.text and "data-print" in page.text
    assert "ม•••" not in page.text and "TAK-" not in page.text  # counts only
    earlier = browser.get("/committee", params={"start": "2026-01-01", "end": "2026-01-31"})
    assert "ไม่มีการดำเนินการในช่วงเวลานี้" in earlier.text and "1 ม.ค. 2569" in earlier.text
    # The period's dates come back as typed, and nonsense falls back to the default.
    assert 'value="2026-01-01"' in earlier.text
    assert browser.get("/committee", params={"start": "nonsense"}).status_code == 200


def test_policy_staff_read_the_report_but_not_the_dashboard(browser, session, late):
    sign_in(browser, session, "policy")
    assert browser.get("/committee").status_code == 200
    assert browser.get("/dashboard").status_code == 403
    assert browser.get("/dashboard/overdue.csv").status_code == 403


def test_a_schools_supervisor_counts_and_lists_only_its_own_schools_late_work(browser, session, clock, network,
                                                                              accounts, reference_forms):
    from engine.cases import commands
    from engine.protocols import service as protocols
    from tests.api.test_school_visibility import SCHOOL_DEADLINE

    version, _ = protocols.store_draft(session=session, key="school_deadline", bpmn=SCHOOL_DEADLINE, network=network,
                                       clock=clock, actor=accounts["policy"])
    protocols.publish(session=session, key="school_deadline", version=version.version, clock=clock,
                      actor=accounts["policy"])
    office = add_user(session, "worker.pmj_tak", "case_worker", "pmj_tak")
    add_user(session, "supervisor.school_takpit", "supervisor", "spm_tak", "school_takpit")
    cases = {}
    for school in ("school_takpit", "school_padung"):
        case = commands.start_case(session=session, protocol_key="school_deadline", data={}, actor=office, clock=clock,
                                   network=network, reporting_unit=school)
        intake = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id))
        commands.complete(session=session, work_item_id=intake, data={"severity": "high"}, actor=office, clock=clock,
                          network=network)
        cases[school] = case.reference
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)
    sign_in(browser, session, "supervisor.school_takpit")
    page = browser.get("/dashboard").text
    overdue = page[page.index('id="overdue-heading"'):]
    assert re.search(r'<span class="muted">\(1\)</span>', overdue[:overdue.index("</h2>")])
    assert cases["school_takpit"] in page and cases["school_padung"] not in page
    exported = browser.get("/dashboard/overdue.csv").text
    assert cases["school_takpit"] in exported and cases["school_padung"] not in exported
