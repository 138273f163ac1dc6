"""Administration: accounts (add, disable, enable, unlock, role and agency) and the network."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.people.auth import ACCOUNT_FAILURE_LIMIT, Unauthenticated, authenticate
from engine.people.directory import find_user
from tests.api.pages.conftest import csrf_of, sign_in


@pytest.fixture
def admin(browser, session, accounts):
    sign_in(browser, session, "admin")
    return browser


def add(client, **fields):
    data = {"csrf_token": csrf_of(client, "/admin/users"), "username": "nok.spm", "display_name": "นก <b>ตัวหนา</b>",
            "email": "", "role": "case_worker", "agency": "spm_tak", "password": "a good long password"}
    data.update(fields)
    return client.post("/admin/users", data=data, follow_redirects=False)


def test_the_account_list_shows_roles_agencies_and_states(admin):
    page = admin.get("/admin/users")
    assert page.status_code == 200
    assert 'data-username="worker.spm_tak"' in page.text and "ใช้งานได้" in page.text
    assert 'href="/docs"' in page.text  # the API documentation is linked from administration


def test_an_administrator_adds_a_person_who_can_then_sign_in(admin, session, app):
    answer = add(admin)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/users?done=added&who=nok.spm"
    assert "เพิ่มบัญชี nok.spm แล้ว" in admin.get(answer.headers["location"]).text
    assert "นก &lt;b&gt;ตัวหนา&lt;/b&gt;" in admin.get("/admin/users").text
    user = authenticate(session, username="nok.spm", password="a good long password", client_address=None,
                        clock=app.state.auth_clock)
    assert (user.role_code, user.agency_code) == ("case_worker", "spm_tak")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"password": "short"}, "password", "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร"),
    ({"username": "Not Valid!"}, "username", "ชื่อผู้ใช้ต้องมี 2–64 ตัว"),
    ({"username": "worker.spm_tak"}, "username", "ยังไม่มีผู้ใช้ชื่อนี้"),
    ({"agency": ""}, "agency", "ต้องสังกัดหน่วยงาน"),
    ({"role": "policy"}, "agency", "ไม่สังกัดหน่วยงาน"),
    ({"agency": "pmj_tak", "unit": "school_takpit"}, "unit", "หน่วยรายงานต้องเป็นโรงเรียนในหน่วยงานของผู้ใช้เอง"),
    ({"unit": "school_nowhere"}, "unit", "หน่วยรายงานต้องเป็นโรงเรียนในหน่วยงานของผู้ใช้เอง"),
])
def test_a_refused_account_says_why_in_thai_and_keeps_what_was_typed(admin, fields, field, message):
    answer = add(admin, **fields)
    assert answer.status_code == 422
    assert message in answer.text
    assert f'id="new-{field}-error"' in answer.text
    assert 'value="นก &lt;b&gt;ตัวหนา&lt;/b&gt;"' in answer.text


def test_disabling_ends_sessions_and_enabling_lets_the_person_back(admin, browser, session, app):
    from fastapi.testclient import TestClient

    with TestClient(app, headers={"accept": "text/html"}) as worker:
        sign_in(worker, session, "worker.spm_tak")
        assert worker.get("/home").status_code == 200
        answer = admin.post("/admin/users/worker.spm_tak/disable", data={"csrf_token": csrf_of(admin, "/admin/users")},
                            follow_redirects=False)
        assert answer.headers["location"] == "/admin/users?done=disabled&who=worker.spm_tak"
        assert worker.get("/home", follow_redirects=False).status_code == 303  # signed out
    session.expire_all()
    assert not find_user(session=session, username="worker.spm_tak").active
    assert "ถูกระงับ" in admin.get("/admin/users").text
    admin.post("/admin/users/worker.spm_tak/enable", data={"csrf_token": csrf_of(admin, "/admin/users")})
    session.expire_all()
    assert find_user(session=session, username="worker.spm_tak").active
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("user.%"))))
    assert actions == ["user.disabled", "user.enabled"]


def test_a_locked_account_can_be_unlocked(admin, session, app):
    from engine.people import accounts as account_service
    from engine.people.actors import SYSTEM

    account_service.set_password(session, username="worker.spm_tak", password="the right password",
                                 actor=SYSTEM, clock=app.state.auth_clock)
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        with pytest.raises(Unauthenticated):
            authenticate(session, username="worker.spm_tak", password="wrong", client_address=None, clock=app.state.auth_clock)
    page = admin.get("/admin/users")
    assert "ถูกล็อกถึง" in page.text and 'action="/admin/users/worker.spm_tak/unlock"' in page.text
    admin.post("/admin/users/worker.spm_tak/unlock", data={"csrf_token": csrf_of(admin, "/admin/users")})
    assert "ถูกล็อกถึง" not in admin.get("/admin/users").text
    assert authenticate(session, username="worker.spm_tak", password="the right password", client_address=None,
                        clock=app.state.auth_clock).username == "worker.spm_tak"


def test_a_school_worker_is_added_with_the_school_and_moved_to_the_office(admin, session, app):
    assert 'value="school_takpit"' in admin.get("/admin/users").text
    assert add(admin, username="krit.takpit", unit="school_takpit").status_code == 303
    user = find_user(session=session, username="krit.takpit")
    assert (user.agency_code, user.unit_code) == ("spm_tak", "school_takpit")
    created = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.created")).all()
    assert any(event.details.get("unit") == "school_takpit" for event in created)
    moved = admin.post("/admin/users/krit.takpit/role", data={"csrf_token": csrf_of(admin, "/admin/users"),
                                                              "role": "case_worker", "agency": "spm_tak", "unit": ""},
                       follow_redirects=False)
    assert moved.status_code == 303
    session.expire_all()
    assert find_user(session=session, username="krit.takpit").unit_code is None


def test_role_and_agency_change_together_and_a_wrong_pair_is_refused(admin, session):
    moved = admin.post("/admin/users/worker.spm_tak/role", data={"csrf_token": csrf_of(admin, "/admin/users"),
                                                                 "role": "supervisor", "agency": "pmj_tak"},
                       follow_redirects=False)
    assert moved.status_code == 303
    session.expire_all()
    user = find_user(session=session, username="worker.spm_tak")
    assert (user.role_code, user.agency_code) == ("supervisor", "pmj_tak")
    refused = admin.post("/admin/users/worker.spm_tak/role", data={"csrf_token": csrf_of(admin, "/admin/users"),
                                                                   "role": "committee", "agency": "pmj_tak"})
    assert refused.status_code == 422 and "ยังไม่ได้เปลี่ยนบทบาทของ worker.spm_tak" in refused.text
    assert admin.post("/admin/users/nobody/role", data={"csrf_token": csrf_of(admin, "/admin/users"),
                                                        "role": "admin", "agency": ""}).status_code == 404


def test_the_network_page_reads_the_network_in_thai(admin):
    page = admin.get("/admin/network")
    assert page.status_code == 200
    assert "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดตาก" in page.text and "<code>pmj_tak</code>" in page.text
    assert "ประธาน:" in page.text


def test_only_administrators_manage_accounts(browser, session, accounts):
    sign_in(browser, session, "policy")
    assert browser.get("/admin/users").status_code == 403
    assert browser.post("/admin/users/worker.spm_tak/disable", data={"csrf_token": csrf_of(browser)}).status_code == 403
    session.expire_all()
    assert find_user(session=session, username="worker.spm_tak").active
