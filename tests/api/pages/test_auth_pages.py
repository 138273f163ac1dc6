"""Signing in and out on the pages, with the API's own sessions; CSRF; error pages; escaping."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from api.deps import SESSION_COOKIE
from api.pages.rendering import PAGE_CSP
from api.pages.security import PRESESSION_COOKIE, safe_next
from engine.clock import SystemClock
from engine.people import accounts as account_service
from engine.people.actors import SYSTEM
from engine.people.auth import ACCOUNT_FAILURE_LIMIT, SESSION_IDLE_TIMEOUT, AuthSession
from tests.api.pages.conftest import csrf_of, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def nok(session, clock):
    """A case worker with a password and a display name holding Thai, HTML and script text."""
    return account_service.add_user(
        session, username="nok", role="case_worker", agency="spm_tak", password=PASSWORD,
        display_name='นก <script>alert("x")</script> & <b>ตัวหนา</b>', email=None, actor=SYSTEM, clock=clock,
    )


def post_sign_in(browser, username, password, next_path=""):
    token = csrf_of(browser, "/signin")
    return browser.post("/signin", data={"username": username, "password": password, "csrf_token": token, "next": next_path},
                        follow_redirects=False)


def test_the_root_leads_to_sign_in_or_to_the_role_home(browser, session, clock, accounts):
    assert browser.get("/", follow_redirects=False).headers["location"] == "/signin"
    for username, home in (("policy", "/protocols"), ("admin", "/admin/users"), ("worker.spm_tak", "/inbox"),
                           ("supervisor.pmj_tak", "/dashboard"), ("committee", "/committee")):
        browser.cookies.clear()
        sign_in(browser, session, username)
        assert browser.get("/", follow_redirects=False).headers["location"] == home


def test_signing_in_opens_the_same_session_the_api_uses(browser, nok):
    answer = post_sign_in(browser, "nok", PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    cookie = answer.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = browser.get("/api/v1/me", headers={"accept": "application/json"})
    assert me.status_code == 200 and me.json()["username"] == "nok"


def test_signing_in_goes_on_to_the_page_asked_for_but_never_to_another_site(browser, nok):
    assert post_sign_in(browser, "nok", PASSWORD, "/protocols?x=1").headers["location"] == "/protocols?x=1"
    browser.cookies.clear()
    assert post_sign_in(browser, "nok", PASSWORD, "//evil.example/").headers["location"] == "/inbox"
    assert safe_next("https://evil.example/", "/d") == "/d"
    assert safe_next("/\\evil.example", "/d") == "/d"
    assert safe_next("/ok\r\nSet-Cookie: x", "/d") == "/d"


def test_a_wrong_password_is_refused_in_thai_keeping_the_name_escaped(browser, nok):
    answer = post_sign_in(browser, "<b>nok</b>", "wrong password")
    assert answer.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in answer.text
    assert 'value="&lt;b&gt;nok&lt;/b&gt;"' in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_too_many_failures_lock_the_name_and_say_when_to_retry(browser, nok):
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        post_sign_in(browser, "nok", "wrong password")
    answer = post_sign_in(browser, "nok", PASSWORD)
    assert answer.status_code == 429
    assert "ลองใหม่ในอีก 15 นาที" in answer.text
    assert int(answer.headers["retry-after"]) > 0


def test_signing_out_ends_the_session_for_the_api_too(browser, session, clock, accounts):
    sign_in(browser, session, "policy")
    secret = browser.cookies.get(SESSION_COOKIE)
    answer = browser.post("/signout", data={"csrf_token": csrf_of(browser)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    browser.cookies.set(SESSION_COOKIE, secret)
    assert browser.get("/api/v1/me", headers={"accept": "application/json"}).status_code == 401
    session.expire_all()
    assert session.scalar(select(AuthSession.revoked_at)) is not None


def test_an_idle_session_ends_as_the_apis_does(app, browser, session, accounts):
    clock = app.state.auth_clock
    assert isinstance(clock, SystemClock)  # sign-in runs on real time even on a simulated server
    sign_in(browser, session, "policy")
    row = session.scalar(select(AuthSession))
    row.last_seen_at = clock.now() - SESSION_IDLE_TIMEOUT
    session.commit()
    answer = browser.get("/protocols", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/protocols&expired=1"
    assert "หมดอายุ" in browser.get(answer.headers["location"]).text


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_state_changing_forms_without_the_token_are_refused(browser, session, clock, accounts, token):
    sign_in(browser, session, "admin")
    data = {} if token is None else {"csrf_token": token}
    for path, extra in (("/signout", {}), ("/language", {"language": "en"}),
                        ("/admin/users", {"username": "mallory", "role": "admin", "password": "x" * 12}),
                        ("/protocols/p1_abuse_report/versions/1/publish", {})):
        answer = browser.post(path, data={**data, **extra}, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "แบบฟอร์มหมดอายุ" in answer.text
    assert browser.get("/api/v1/me", headers={"accept": "application/json"}).status_code == 200  # still signed in
    assert "mallory" not in browser.get("/admin/users").text


def test_sign_in_itself_needs_the_token_and_the_same_origin(browser, nok):
    browser.get("/signin")
    assert browser.post("/signin", data={"username": "nok", "password": PASSWORD}).status_code == 403
    token = csrf_of(browser, "/signin")
    cross = browser.post("/signin", data={"username": "nok", "password": PASSWORD, "csrf_token": token},
                         headers={"origin": "https://evil.example"}, follow_redirects=False)
    assert cross.status_code == 403
    null_origin = browser.post("/signin", data={"username": "nok", "password": PASSWORD, "csrf_token": token},
                               headers={"origin": "null"}, follow_redirects=False)
    assert null_origin.status_code == 403


def test_the_token_is_tied_to_the_browser(app, browser, session, clock, accounts):
    from fastapi.testclient import TestClient

    sign_in(browser, session, "admin")
    token = csrf_of(browser)
    with TestClient(app, headers={"accept": "text/html"}) as other:
        sign_in(other, session, "policy")
        assert other.post("/signout", data={"csrf_token": token}, follow_redirects=False).status_code == 403


def test_a_first_visit_gets_a_pre_session_secret_for_its_forms(browser):
    answer = browser.get("/signin")
    assert PRESESSION_COOKIE in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]
    assert re.search(r'name="csrf_token" value="[A-Za-z0-9_-]{40,}"', answer.text)


def test_unknown_addresses_get_the_not_found_page_and_the_api_keeps_problems(browser, session, clock, accounts):
    page = browser.get("/no/such/page")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "ไม่พบหน้านี้" in page.text and "<title>ไม่พบหน้านี้" in page.text
    api = browser.get("/api/v1/no-such-thing", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    sign_in(browser, session, "policy")
    assert browser.get("/protocols/no_such_protocol").status_code == 404
    assert browser.get("/protocols/NOT-A-KEY").status_code == 404


def test_a_role_without_the_right_gets_the_not_allowed_page(browser, session, clock, accounts):
    sign_in(browser, session, "worker.spm_tak")
    for path in ("/admin/users", "/admin/network", "/protocols/p1_abuse_report/edit", "/forms/x/edit"):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert "ไม่มีสิทธิ์" in answer.text


def test_pages_get_their_own_policy_and_the_api_keeps_the_strict_one(browser, session, clock, accounts):
    sign_in(browser, session, "policy")
    page = browser.get("/protocols")
    assert page.headers["content-security-policy"] == PAGE_CSP
    assert "'unsafe-inline'" not in PAGE_CSP and "script-src 'self'" in PAGE_CSP
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    api = browser.get("/api/v1/me", headers={"accept": "application/json"})
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "<script>" not in page.text.replace('<script type="application/json"', "").replace("<script src=", "")


def test_people_text_is_shown_escaped(browser, nok):
    post_sign_in(browser, "nok", PASSWORD)
    page = browser.get("/home")
    assert 'นก &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;ตัวหนา&lt;/b&gt;' in page.text
    assert '<script>alert' not in page.text


def test_a_malformed_post_is_refused_not_reported_missing(browser, session, accounts):
    sign_in(browser, session, "admin")
    answer = browser.post("/admin/users", data={"csrf_token": csrf_of(browser), "username": "x" * 65})
    assert answer.status_code == 422 and "ดำเนินการตามคำขอไม่ได้" in answer.text
