"""The case-work pages' security: every state-changing form carries the CSRF token and every
change is refused without it; the CSP admits only this site's scripts and styles; Thai, HTML
and script text typed by people is shown as text; every page has a Thai title and lang="th"."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.cases.comments import add_comment
from engine.cases.models import Escalation, WorkItem
from engine.deadlines.tick import tick
from tests.api.pages.conftest import csrf_of, sign_in
from tests.api.pages.test_work_pages import start_p1
from tests.conftest import add_user

SCRIPT_TEXT = 'ช่วยด้วย <script>alert("x")</script> & <b>ด่วน</b>'
ESCAPED = "ช่วยด้วย &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;ด่วน&lt;/b&gt;"


@pytest.fixture
def scene(session, clock, network, tak_library, accounts):
    """A late P1 intake with a comment holding script text: work for every page to show."""
    worker = add_user(session, "worker.pmj_tak", "case_worker", "pmj_tak")
    case, item = start_p1(session, clock, network, worker)
    add_comment(session=session, item=item, body=SCRIPT_TEXT, actor=worker, clock=clock)
    clock.advance(timedelta(hours=4))
    tick(session=session, clock=clock, network=network)
    escalation = session.scalar(select(Escalation).where(Escalation.work_item_id == item.id))
    return case, item, escalation


def _pages(case, item):
    return {
        "worker.pmj_tak": ["/inbox", f"/tasks/{item.id}", f"/cases/{case.id}", "/cases", "/cases/new"],
        "supervisor.pmj_tak": ["/dashboard", f"/cases/{case.id}", f"/tasks/{item.id}"],
        "committee": ["/committee", f"/cases/{case.id}", "/dashboard", "/cases"],
    }


def test_every_post_form_carries_the_token_and_pages_are_thai_and_strict(browser, session, scene):
    case, item, _escalation = scene
    forms_seen = 0
    for username, paths in _pages(case, item).items():
        browser.cookies.clear()
        sign_in(browser, session, username)
        for path in paths:
            page = browser.get(path)
            assert page.status_code == 200, (username, path)
            assert '<html lang="th">' in page.text
            title = re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
            assert re.search(r"[\u0E00-\u0E7F]", title), (path, title)
            policy = page.headers["content-security-policy"]
            assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe-inline" not in policy
            assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", page.text), path
            for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", page.text, re.S):
                forms_seen += 1
                assert 'name="csrf_token"' in form, (path, form[:200])
    assert forms_seen >= 12


def test_every_change_is_refused_without_the_token(browser, session, scene):
    _case, item, escalation = scene
    sign_in(browser, session, "supervisor.pmj_tak")
    someone = session.scalar(select(WorkItem.assignee_id).where(WorkItem.id == item.id))
    changes = [
        (f"/tasks/{item.id}/claim", {}), (f"/tasks/{item.id}/unclaim", {}), (f"/tasks/{item.id}", {"child_first_name": "ดาว"}),
        (f"/tasks/{item.id}/comments", {"body": "ไม่มีโทเคน"}), (f"/tasks/{item.id}/assignee", {"assignee": "1"}),
        (f"/escalations/{escalation.id}/acknowledge", {"note": "ไม่มีโทเคน"}),
        (f"/escalations/{escalation.id}/resolve", {"note": "ไม่มีโทเคน"}),
        ("/cases/new", {"protocol": "p1_abuse_report", "reporting_unit": "pmj_tak"}),
    ]
    for path, data in changes:
        for token in (None, "forged"):
            sent = dict(data, csrf_token=token) if token else data
            answer = browser.post(path, data=sent)
            assert answer.status_code == 403 and "แบบฟอร์มหมดอายุ" in answer.text, (path, token)
    session.expire_all()
    assert session.get(WorkItem, item.id).assignee_id == someone
    assert session.get(Escalation, escalation.id).status == "open"
    # A change from another site's page is refused even with the token.
    token = csrf_of(browser, "/dashboard")
    cross = browser.post(f"/escalations/{escalation.id}/acknowledge", data={"csrf_token": token, "note": "x"},
                         headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
    assert cross.status_code == 403


def test_text_people_typed_is_shown_escaped_everywhere(browser, session, scene):
    case, item, escalation = scene
    sign_in(browser, session, "worker.pmj_tak")
    task = browser.get(f"/tasks/{item.id}")
    assert ESCAPED in task.text and SCRIPT_TEXT not in task.text
    browser.cookies.clear()
    sign_in(browser, session, "supervisor.pmj_tak")
    browser.post(f"/escalations/{escalation.id}/acknowledge", data={"csrf_token": csrf_of(browser, "/dashboard"),
                                                                       "note": SCRIPT_TEXT})
    assert ESCAPED in browser.get("/dashboard").text
    history = browser.get(f"/cases/{case.id}")
    assert ESCAPED in history.text and SCRIPT_TEXT not in history.text
