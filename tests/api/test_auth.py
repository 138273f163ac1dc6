"""Signing in: password login and its cookie, sign-out, /me, personal tokens, lockout and rate
limits, CSRF refusal, and the ``khumkrong users`` command line."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from engine.audit import AuditEvent
from engine.clock import SimulatedClock
from engine.people import auth
from engine.people.models import User
from engine.people.passwords import verify_password
from engine.settings import Settings
from tests.api.conftest import API
from tests.conftest import START

PASSWORD = "correct horse battery"
runner = CliRunner()


def _add(database_url: str, username: str, role: str = "case_worker", agency: str | None = "spm_tak", password: str = PASSWORD):
    args = ["users", "add", username, "--role", role, "--password-stdin", "--database-url", database_url]
    if agency:
        args += ["--agency", agency]
    return runner.invoke(cli, args, input=password + "\n")


@pytest.fixture
def auth_clock():
    return SimulatedClock(START)


@pytest.fixture
def plain_client(database_url, session, auth_clock):
    """An app without simulation, so sign-in runs on a clock the test can move."""
    with TestClient(create_app(Settings(database_url=database_url), clock=auth_clock)) as client:
        yield client


@pytest.fixture
def worker(database_url, session):
    assert _add(database_url, "worker.spm_tak").exit_code == 0
    return "worker.spm_tak"


def _login(client, username=None, password=PASSWORD, **kwargs):
    return client.post(f"{API}/auth/login", json={"username": username, "password": password}, **kwargs)


def _actions(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_login_sets_a_hardened_cookie_and_me_answers(plain_client, worker, session):
    response = _login(plain_client, worker)
    assert response.status_code == 200
    assert response.json()["username"] == worker and response.json()["role"] == "case_worker"
    cookie = response.headers["set-cookie"]
    assert "khumkrong_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests
    me = plain_client.get(f"{API}/me")
    assert me.status_code == 200 and me.json()["authenticated_by"] == "session"
    # The session is stored as a digest only.
    secret = response.cookies["khumkrong_session"]
    stored = session.scalars(select(auth.AuthSession)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored.token_hash
    assert [e.actor_username for e in _actions(session, "auth.login")] == [worker]
    assert response.headers["cache-control"] == "no-store" and response.headers["x-content-type-options"] == "nosniff"


def test_cookie_is_secure_over_https(database_url, session, worker):
    with TestClient(create_app(Settings(database_url=database_url)), base_url="https://khumkrong.example") as client:
        response = _login(client, worker)
    assert response.status_code == 200 and "Secure" in response.headers["set-cookie"]


def test_logout_ends_the_session(plain_client, worker, session):
    _login(plain_client, worker)
    assert plain_client.post(f"{API}/auth/logout").status_code == 204
    assert plain_client.get(f"{API}/me").status_code == 401
    assert session.scalars(select(auth.AuthSession)).one().revoked_at is not None


def test_sessions_expire_when_idle(plain_client, worker, auth_clock):
    _login(plain_client, worker)
    auth_clock.advance(auth.SESSION_IDLE_TIMEOUT + timedelta(seconds=1))
    response = plain_client.get(f"{API}/me")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_password_and_unknown_user_answer_alike(plain_client, worker, session):
    wrong = _login(plain_client, worker, "not the password")
    unknown = _login(plain_client, "nobody.here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert len(_actions(session, "auth.login_failed")) == 2


def test_tokens_are_shown_once_stored_hashed_and_refused_once_revoked(plain_client, worker, session):
    _login(plain_client, worker)
    created = plain_client.post(f"{API}/auth/tokens", json={"name": "export script"})
    assert created.status_code == 201
    secret, token_id = created.json()["token"], created.json()["id"]
    assert secret.startswith("kkt_") and created.json()["hint"] == secret[:8]
    row = session.get(auth.ApiToken, token_id)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    listed = plain_client.get(f"{API}/auth/tokens").json()
    assert [t["id"] for t in listed] == [token_id] and "token" not in listed[0]

    bearer = {"Authorization": f"Bearer {secret}"}
    plain_client.cookies.clear()
    me = plain_client.get(f"{API}/me", headers=bearer)
    assert me.status_code == 200 and me.json()["authenticated_by"] == "token"
    assert plain_client.delete(f"{API}/auth/tokens/{token_id}", headers=bearer).status_code == 204
    assert plain_client.get(f"{API}/me", headers=bearer).status_code == 401
    assert [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("auth.token%")))] == [
        "auth.token_created", "auth.token_revoked",
    ]


def test_a_malformed_authorization_header_is_refused(plain_client, worker):
    _login(plain_client, worker)
    # A cookie is present, but the caller chose a header: it must not fall back to the cookie.
    assert plain_client.get(f"{API}/me", headers={"Authorization": "Basic d29ya2VyOnB3"}).status_code == 401
    assert plain_client.get(f"{API}/me", headers={"Authorization": "Bearer kkt_unknown"}).status_code == 401


def test_expired_tokens_are_refused(plain_client, worker, auth_clock, session):
    _login(plain_client, worker)
    expiry = (auth_clock.now() + timedelta(days=1)).isoformat()
    secret = plain_client.post(f"{API}/auth/tokens", json={"name": "short", "expires_at": expiry}).json()["token"]
    plain_client.cookies.clear()
    assert plain_client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    auth_clock.advance(timedelta(days=1, seconds=1))
    assert plain_client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_five_failures_lock_the_account_for_fifteen_minutes(plain_client, worker, auth_clock, session):
    for _ in range(auth.ACCOUNT_FAILURE_LIMIT):
        assert _login(plain_client, worker, "guess").status_code == 401
    locked = _login(plain_client, worker)  # even the right password
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert locked.headers["content-type"] == "application/problem+json"
    assert [e.actor_username for e in _actions(session, "auth.locked_out")] == [worker]
    auth_clock.advance(auth.LOCK_PERIOD - timedelta(seconds=5))
    assert _login(plain_client, worker).status_code == 429
    auth_clock.advance(timedelta(seconds=10))
    assert _login(plain_client, worker).status_code == 200


def test_unknown_names_lock_exactly_like_real_ones(plain_client, session):
    for _ in range(auth.ACCOUNT_FAILURE_LIMIT):
        _login(plain_client, "ghost", "guess")
    assert _login(plain_client, "ghost", "guess").status_code == 429


def test_failures_spread_over_time_do_not_lock(plain_client, worker, auth_clock):
    for _ in range(auth.ACCOUNT_FAILURE_LIMIT * 2):
        assert _login(plain_client, worker, "guess").status_code == 401
        auth_clock.advance(auth.FAILURE_WINDOW / (auth.ACCOUNT_FAILURE_LIMIT - 1) + timedelta(seconds=1))
    assert _login(plain_client, worker).status_code == 200


@pytest.mark.slow
def test_one_address_trying_many_names_is_rate_limited(plain_client, worker, session):
    for n in range(auth.ADDRESS_FAILURE_LIMIT):
        assert _login(plain_client, f"spray{n}", "guess").status_code == 401
    limited = _login(plain_client, worker)
    assert limited.status_code == 429
    assert _actions(session, "auth.login_refused")[-1].details["reason"] == "address"


def test_an_administrator_can_unlock(plain_client, worker, database_url, session, auth_clock):
    for _ in range(auth.ACCOUNT_FAILURE_LIMIT):
        _login(plain_client, worker, "guess")
    assert _login(plain_client, worker).status_code == 429
    # The command line runs on the wall clock, this test's app on its own: unlock on the app's.
    assert runner.invoke(cli, ["users", "unlock", worker, "--database-url", database_url]).exit_code == 0
    auth.unlock(session, username=worker, actor=auth._anonymous("admin", None), clock=auth_clock)
    assert _login(plain_client, worker).status_code == 200
    assert len(_actions(session, "auth.unlocked")) == 2


def test_cross_site_cookie_requests_are_refused(plain_client, worker):
    _login(plain_client, worker)
    evil = plain_client.post(f"{API}/auth/tokens", json={"name": "x"}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["field"] == "origin"
    fetch = plain_client.post(f"{API}/auth/tokens", json={"name": "x"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    same = plain_client.post(f"{API}/auth/tokens", json={"name": "x"}, headers={"Origin": "http://testserver"})
    assert same.status_code == 201
    # Reads are not changed by the origin check.
    assert plain_client.get(f"{API}/me", headers={"Origin": "https://evil.example"}).status_code == 200


def test_disabled_people_lose_their_sessions_and_tokens(plain_client, worker, database_url):
    _login(plain_client, worker)
    secret = plain_client.post(f"{API}/auth/tokens", json={"name": "x"}).json()["token"]
    assert runner.invoke(cli, ["users", "disable", worker, "--database-url", database_url]).exit_code == 0
    assert plain_client.get(f"{API}/me").status_code == 401
    plain_client.cookies.clear()
    assert plain_client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert _login(plain_client, worker).status_code == 401


def test_users_cli_adds_sets_passwords_and_refuses_bad_input(database_url, session):
    assert _add(database_url, "Supervisor.PMJ_tak", role="supervisor", agency="pmj_tak").exit_code == 0
    user = session.scalar(select(User).where(User.username == "supervisor.pmj_tak"))
    assert user.password_hash.startswith("$argon2id$") and verify_password(user.password_hash, PASSWORD)
    # Roles bound to an agency need one; province-wide roles take none; passwords need length.
    assert _add(database_url, "someone", role="case_worker", agency=None).exit_code == 1
    assert _add(database_url, "chair", role="committee", agency="pmj_tak").exit_code == 1
    assert _add(database_url, "shorty", password="short").exit_code == 1
    assert _add(database_url, "supervisor.pmj_tak", role="supervisor", agency="pmj_tak").exit_code == 1
    result = runner.invoke(cli, ["users", "passwd", "supervisor.pmj_tak", "--password-stdin", "--database-url", database_url],
                           input="a much longer new secret\n")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, "a much longer new secret")
    listed = runner.invoke(cli, ["users", "list", "--database-url", database_url])
    assert listed.output.split() == ["supervisor.pmj_tak", "supervisor", "pmj_tak", "active"]
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("user.%"))) == 2


def test_the_users_cli_prompts_for_the_password_and_never_takes_it_as_an_argument(database_url, session):
    result = runner.invoke(cli, ["users", "add", "prompted", "--role", "policy", "--database-url", database_url],
                           input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.output
    assert "prompted password" not in result.output
    assert runner.invoke(cli, ["users", "add", "argued", "--role", "policy", "--password", "x"]).exit_code != 0


# -- personal tokens: default expiry, minted only from a session, logout (issue 9, item 15) ------


def test_a_token_without_an_expiry_expires_after_the_configured_default(plain_client, worker, auth_clock, database_url):
    _login(plain_client, worker)
    made = plain_client.post(f"{API}/auth/tokens", json={"name": "no expiry asked"}).json()
    assert made["expires_at"] is not None
    default = auth_clock.now() + timedelta(days=Settings().token_lifetime_days)
    assert abs(datetime.fromisoformat(made["expires_at"]) - default) < timedelta(seconds=5)
    assert Settings().token_lifetime_days == 90
    plain_client.cookies.clear()
    bearer = {"Authorization": f"Bearer {made['token']}"}
    auth_clock.advance(timedelta(days=89))
    assert plain_client.get(f"{API}/me", headers=bearer).status_code == 200
    auth_clock.advance(timedelta(days=1, seconds=1))
    assert plain_client.get(f"{API}/me", headers=bearer).status_code == 401

    shorter = create_app(Settings(database_url=database_url, token_lifetime_days=7), clock=auth_clock)
    with TestClient(shorter) as client:
        _login(client, worker)
        week = client.post(f"{API}/auth/tokens", json={"name": "a week"}).json()
    assert datetime.fromisoformat(week["expires_at"]) - auth_clock.now() <= timedelta(days=7)


def test_a_token_cannot_mint_tokens_so_none_outlives_its_revocation(plain_client, worker, session):
    _login(plain_client, worker)
    parent = plain_client.post(f"{API}/auth/tokens", json={"name": "parent"}).json()
    plain_client.cookies.clear()
    bearer = {"Authorization": f"Bearer {parent['token']}"}
    child = plain_client.post(f"{API}/auth/tokens", headers=bearer, json={"name": "child"})
    assert child.status_code == 403 and child.headers["content-type"] == "application/problem+json"
    assert session.scalar(select(func.count()).select_from(auth.ApiToken)) == 1
    assert plain_client.delete(f"{API}/auth/tokens/{parent['id']}", headers=bearer).status_code == 204
    assert plain_client.get(f"{API}/me", headers=bearer).status_code == 401


def test_logout_with_a_token_revokes_that_token(plain_client, worker, session):
    _login(plain_client, worker)
    made = plain_client.post(f"{API}/auth/tokens", json={"name": "script"}).json()
    other = plain_client.post(f"{API}/auth/tokens", json={"name": "another"}).json()
    plain_client.cookies.clear()
    bearer = {"Authorization": f"Bearer {made['token']}"}
    assert plain_client.post(f"{API}/auth/logout", headers=bearer).status_code == 204
    assert plain_client.get(f"{API}/me", headers=bearer).status_code == 401
    # Only the token it was called with: the person's other token still works.
    assert plain_client.get(f"{API}/me", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 200
    session.expire_all()
    assert session.get(auth.ApiToken, made["id"]).revoked_at is not None
    assert [e.details.get("token_id") for e in _actions(session, "auth.logout")] == [made["id"]]


# -- origins and proxies (issue 9, item 19) -------------------------------------------------------


def test_the_origin_check_compares_scheme_host_and_port(plain_client, worker):
    _login(plain_client, worker)

    def mint(origin: str) -> int:
        return plain_client.post(f"{API}/auth/tokens", json={"name": "x"}, headers={"Origin": origin}).status_code

    # The server answers plain http on testserver:80.
    assert mint("https://testserver") == 403
    assert mint("http://testserver:8080") == 403
    assert mint("http://testserver.evil.example") == 403
    assert mint("http://testserver:notaport") == 403
    assert mint("http://testserver") == 201
    assert mint("http://TestServer:80") == 201


def test_forwarded_headers_count_only_from_configured_proxies(database_url, session, worker):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}

    def login_from(settings: Settings, peer: str):
        with TestClient(create_app(settings), client=(peer, 40000)) as client:
            return _login(client, worker, headers=forwarded)

    # By default no proxy is trusted: the peer is the client, whatever the headers claim.
    assert Settings().trusted_proxies == []
    answer = login_from(Settings(database_url=database_url), "127.0.0.1")
    assert answer.status_code == 200 and "Secure" not in answer.headers["set-cookie"]
    # A configured proxy is believed; anyone else is not.
    behind_proxy = Settings(database_url=database_url, trusted_proxies=["10.0.0.0/8"])
    assert "Secure" in login_from(behind_proxy, "10.1.2.3").headers["set-cookie"]
    login_from(behind_proxy, "192.0.2.77")
    session.expire_all()
    addresses = [a.client_address for a in session.scalars(select(auth.LoginAttempt).order_by(auth.LoginAttempt.id))]
    assert addresses == ["127.0.0.1", "203.0.113.9", "192.0.2.77"]


def test_trusted_proxies_can_be_listed_in_the_environment(monkeypatch):
    monkeypatch.setenv("KHUMKRONG_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/24")
    assert Settings().trusted_proxies == ["10.0.0.1", "192.168.0.0/24"]
