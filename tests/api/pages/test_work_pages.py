"""Case workers' pages: the inbox, claiming (htmx and without JavaScript), a task's form with Thai
errors and kept values, completing, comments, and the child's record on an intake."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.assignment import claim
from engine.cases.comments import TaskComment
from engine.cases.models import Case, WorkItem
from engine.children.models import Child, ChildOffer
from engine.deadlines.tick import tick
from engine.people.actors import Actor
from engine.people.models import User
from tests.api.pages.conftest import csrf_of, sign_in

INTAKE = {
    "child_first_name": "มะลิ", "child_last_name": "ใจดี", "child_birth_date": "2011-05-14",
    "child_is_student": "true", "report_channel": "school", "reporter_role": "teacher",
    "concern_type": "physical_abuse", "incident_summary": "ครูพบรอยฟกช้ำที่แขน",
    "alleged_abuser_is_school_staff": "false", "basic_aid_given": "true",
}


def start_p1(session, clock, network, actor: Actor) -> tuple[Case, WorkItem]:
    case = commands.start_case(session=session, protocol_key="p1_abuse_report", data={}, actor=actor, clock=clock,
                               network=network, reporting_unit="school_takpit")
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    return case, item


def inbox_rows(text: str) -> list[str]:
    return re.findall(r'<tr id="task-(\d+)"', text)


def test_the_inbox_shows_my_tasks_and_my_agencys_unclaimed_ones_overdue_first(
        browser, session, clock, network, tak_library, workers):
    late, late_item = start_p1(session, clock, network, workers["pmj"])
    clock.advance(timedelta(hours=4))
    tick(session=session, clock=clock, network=network)  # the 3-hour intake deadline passes
    fresh, fresh_item = start_p1(session, clock, network, workers["pmj"])
    theirs, theirs_item = start_p1(session, clock, network, workers["pmj2"])
    claim(session=session, work_item_id=theirs_item.id, actor=workers["pmj2"], clock=clock)
    sign_in(browser, session, "worker.pmj_tak")
    page = browser.get("/inbox")
    assert page.status_code == 200
    assert inbox_rows(page.text) == [str(late_item.id), str(fresh_item.id)]  # not the colleague's claimed task
    assert "เกินกำหนด" in page.text and late.reference in page.text
    assert re.search(r'class="task-count"[^>]*>[^<]*<span class="count">2</span>', page.text)
    # Filters: a due window, a protocol.
    overdue = browser.get("/inbox", params={"due": "overdue"})
    assert inbox_rows(overdue.text) == [str(late_item.id)]
    assert inbox_rows(browser.get("/inbox", params={"due": "24h"}).text) == [str(fresh_item.id)]
    assert inbox_rows(browser.get("/inbox", params={"protocol": "p2_student_screening"}).text) == []
    # Another agency's worker sees none of it; the committee has no inbox.
    browser.cookies.clear()
    sign_in(browser, session, "worker.police_tak")
    assert inbox_rows(browser.get("/inbox").text) == []
    browser.cookies.clear()
    sign_in(browser, session, "committee")
    assert browser.get("/inbox").status_code == 403


def test_claiming_with_htmx_swaps_the_row_and_without_it_goes_to_the_task(
        browser, session, clock, network, tak_library, workers):
    _case, first = start_p1(session, clock, network, workers["pmj"])
    _case, second = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    token = csrf_of(browser, "/inbox")
    fragment = browser.post(f"/tasks/{first.id}/claim", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith(f'<tr id="task-{first.id}"')
    assert "<html" not in fragment.text and "ของคุณ" in fragment.text
    plain = browser.post(f"/tasks/{second.id}/claim", data={"csrf_token": token, "next": "/inbox"},
                         follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == "/inbox"
    session.expire_all()
    me = session.scalar(select(User.id).where(User.username == "worker.pmj_tak"))
    assert {session.get(WorkItem, i).assignee_id for i in (first.id, second.id)} == {me}
    # A claimed task is no longer anyone else's to take.
    browser.cookies.clear()
    sign_in(browser, session, "worker2.pmj_tak")
    taken = browser.post(f"/tasks/{first.id}/claim", data={"csrf_token": csrf_of(browser, "/inbox")},
                         headers={"HX-Request": "true"})
    assert taken.status_code == 200 and "มีผู้รับงานนี้ไปก่อนแล้ว" in taken.text


def test_a_claim_without_the_csrf_token_is_refused(browser, session, clock, network, tak_library, workers):
    _case, item = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    refused = browser.post(f"/tasks/{item.id}/claim", data={}, headers={"HX-Request": "true"})
    assert refused.status_code == 403 and "แบบฟอร์มหมดอายุ" in refused.text
    session.expire_all()
    assert session.get(WorkItem, item.id).state == "open"


def test_the_task_form_shows_thai_errors_beside_fields_keeps_values_and_completes(
        browser, session, clock, network, tak_library, workers):
    case, item = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    page = browser.get(f"/tasks/{item.id}")
    assert page.status_code == 200
    assert 'name="child_first_name"' in page.text and "รับแจ้งเหตุ" in page.text
    assert 'id="diagram"' in page.text and '"current": "receive_report"' in page.text
    wrong = dict(INTAKE, child_national_id="1234567890123", incident_summary='<script>alert("x")</script> รอยช้ำ')
    answer = browser.post(f"/tasks/{item.id}", data={"csrf_token": csrf_of(browser, f"/tasks/{item.id}"), **wrong})
    assert answer.status_code == 422
    error = re.search(r'<span class="field-error" id="f-child_national_id-error">([^<]+)</span>', answer.text)
    assert error and "13 หลัก" in error.group(1)
    assert 'value="มะลิ"' in answer.text and 'value="1234567890123"' in answer.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; รอยช้ำ" in answer.text and '<script>alert("x")' not in answer.text
    session.expire_all()
    assert session.get(WorkItem, item.id).state == "open"

    done = browser.post(f"/tasks/{item.id}", data={"csrf_token": csrf_of(browser, f"/tasks/{item.id}"),
                                                   **dict(INTAKE, child_national_id="1103700123458")},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/inbox?completed={case.reference}"
    session.expire_all()
    completed = session.get(WorkItem, item.id)
    assert completed.state == "completed" and completed.completed_by_id == workers["pmj"].user_id
    child = session.get(Child, session.get(Case, case.id).child_id)
    assert (child.first_name, child.national_id) == ("มะลิ", "1103700123458")
    notice = browser.get(done.headers["location"])
    assert f"งานของกรณี {case.reference} เสร็จแล้ว" in notice.text
    # Triage is next, in the same agency's inbox.
    assert "คัดกรองและประเมินความเสี่ยง" in notice.text


def test_an_intake_offers_a_similar_child_to_confirm_or_reject(browser, session, clock, network, tak_library, workers):
    known = Child(first_name="มะลิ", last_name="ใจดี", birth_date=date(2011, 5, 14), created_at=clock.now(),
                  updated_at=clock.now())
    session.add(known)
    session.commit()
    case, item = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    data = dict(INTAKE, child_first_name="มะลี")  # a close name, the same birth date
    asked = browser.post(f"/tasks/{item.id}", data={"csrf_token": csrf_of(browser, f"/tasks/{item.id}"), **data})
    assert asked.status_code == 200 and 'name="child_match"' in asked.text
    assert f'value="{known.id}"' in asked.text and "มะลิ ใจดี" in asked.text and "2554" in asked.text
    assert 'value="มะลี"' in asked.text  # the typed values are kept
    session.expire_all()
    assert session.get(WorkItem, item.id).state == "open"
    offer = session.scalar(select(ChildOffer).where(ChildOffer.child_id == known.id))
    assert offer.work_item_id == item.id and offer.user_id == workers["pmj"].user_id
    # Confirming names that record; the engine accepts it because it was offered for this task.
    done = browser.post(f"/tasks/{item.id}", data={"csrf_token": csrf_of(browser, f"/tasks/{item.id}"),
                                                   "child_match": str(known.id), **data}, follow_redirects=False)
    assert done.status_code == 303
    session.expire_all()
    assert session.get(Case, case.id).child_id == known.id


def test_rejecting_the_offered_child_starts_a_new_record_and_an_unoffered_one_is_refused(
        browser, session, clock, network, tak_library, workers):
    other = Child(first_name="ดาว", last_name="ทองดี", birth_date=date(2010, 1, 1), created_at=clock.now(),
                  updated_at=clock.now())
    known = Child(first_name="มะลิ", last_name="ใจดี", birth_date=date(2011, 5, 14), created_at=clock.now(),
                  updated_at=clock.now())
    session.add_all([other, known])
    session.commit()
    case, item = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    refused = browser.post(f"/tasks/{item.id}", data={"csrf_token": csrf_of(browser, f"/tasks/{item.id}"),
                                                      "child_match": str(other.id), **INTAKE})
    assert refused.status_code == 422 and "เชื่อมประวัติเด็กที่เลือกกับกรณีนี้ไม่ได้" in refused.text
    done = browser.post(f"/tasks/{item.id}", data={"csrf_token": csrf_of(browser, f"/tasks/{item.id}"),
                                                   "child_match": "new", **INTAKE}, follow_redirects=False)
    assert done.status_code == 303
    session.expire_all()
    linked = session.get(Case, case.id).child_id
    assert linked not in (known.id, other.id, None)


def test_comments_are_added_listed_escaped_and_refused_when_empty(browser, session, clock, network, tak_library, workers):
    _case, item = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    token = csrf_of(browser, f"/tasks/{item.id}")
    text = 'โทรหาครูแล้ว <img src=x onerror="alert(1)"> & รอผล'
    added = browser.post(f"/tasks/{item.id}/comments", data={"csrf_token": token, "body": text}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == f"/tasks/{item.id}#comments"
    page = browser.get(f"/tasks/{item.id}")
    assert "โทรหาครูแล้ว &lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; รอผล" in page.text
    assert "<img src=x" not in page.text
    empty = browser.post(f"/tasks/{item.id}/comments", data={"csrf_token": token, "body": "   "})
    assert empty.status_code == 422 and "กรุณาเขียนความเห็นก่อน" in empty.text
    assert session.scalar(select(TaskComment.body).where(TaskComment.work_item_id == item.id)) == text.strip()
    without_token = browser.post(f"/tasks/{item.id}/comments", data={"body": "ไม่มีโทเคน"})
    assert without_token.status_code == 403
    assert len(session.scalars(select(TaskComment).where(TaskComment.work_item_id == item.id)).all()) == 1


def test_a_task_of_an_uninvolved_agency_is_not_found_and_the_refusal_is_audited(
        browser, session, clock, network, tak_library, workers):
    _case, item = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.culture_tak")
    page = browser.get(f"/tasks/{item.id}")
    assert page.status_code == 404 and "ไม่พบหน้านี้" in page.text and "รับแจ้งเหตุ" not in page.text
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert [e.details["resource"] for e in denied] == ["task"]


def test_a_schools_pages_show_its_own_cases_and_not_another_schools(browser, session, clock, network, tak_library,
                                                                     workers):
    from tests.conftest import add_user

    add_user(session, "worker.school_takpit", "case_worker", "spm_tak", "school_takpit")
    add_user(session, "worker.school_padung", "case_worker", "spm_tak", "school_padung")
    case = commands.start_case(session=session, protocol_key="p2_student_screening", data={}, actor=workers["school"],
                               clock=clock, network=network, reporting_unit="school_takpit")
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    sign_in(browser, session, "worker.school_takpit")
    # A school's staff report for their own school only.
    start_page = browser.get("/cases/new").text
    assert 'value="school_takpit"' in start_page and 'value="school_padung"' not in start_page
    assert inbox_rows(browser.get("/inbox").text) == [str(item.id)]
    assert browser.get(f"/cases/{case.id}").status_code == 200
    browser.cookies.clear()
    sign_in(browser, session, "worker.school_padung")
    assert inbox_rows(browser.get("/inbox").text) == []
    for path in (f"/cases/{case.id}", f"/tasks/{item.id}"):
        page = browser.get(path)
        assert page.status_code == 404 and case.reference not in page.text, path
    assert case.reference not in browser.get("/cases").text
    # The office sees that the school is kept out once the alleged abuser is its staff.
    session.get_one(Case, case.id).unit_kept_out = True
    session.commit()
    browser.cookies.clear()
    sign_in(browser, session, "worker.spm_tak")
    assert "ไม่ให้โรงเรียนเห็น: ผู้ถูกกล่าวหาเป็นบุคลากรของโรงเรียน" in browser.get(f"/cases/{case.id}").text
    browser.cookies.clear()
    sign_in(browser, session, "worker.school_takpit")
    assert browser.get(f"/cases/{case.id}").status_code == 404
    assert inbox_rows(browser.get("/inbox").text) == []


def test_reading_a_task_is_audited_before_it_is_shown(browser, session, clock, network, tak_library, workers):
    _case, item = start_p1(session, clock, network, workers["pmj"])
    sign_in(browser, session, "worker.pmj_tak")
    assert browser.get(f"/tasks/{item.id}").status_code == 200
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.work_item_id == item.id)).all()
    assert {"task.viewed", "task.comments_viewed"} <= set(actions)
