from __future__ import annotations

import anyio
import pytest
from fastapi.testclient import TestClient

from api.app import MAX_BODY_BYTES, create_app
from engine.migrations import head_revision
from engine.protocols.loading import MAX_BPMN_BYTES
from engine.settings import Settings
from tests.api.conftest import person


def test_healthz_reports_a_migrated_database(database_url):
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "database": "ok", "schema_revision": head_revision(), "workers": [], "late_workers": [],
    }


def test_healthz_is_a_problem_when_the_schema_is_missing(tmp_path):
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503 and body["type"].endswith("database-unavailable")
    assert "alembic_version" in body["detail"]


def test_openapi_document_lists_healthz(database_url):
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "/healthz" in paths


# -- the guard around every answer: bodies past the limit, security headers ---------------------

SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy", "cache-control")


def _stream(app, method: str, path: str, *, chunks: int, chunk_size: int, headers=()) -> tuple[int, int]:
    """Send a chunked body (no Content-Length) straight to the ASGI app, as a server would.

    Answers the status and how many body bytes the app pulled before it answered."""
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        if pulled >= chunks * chunk_size:
            return {"type": "http.disconnect"}
        pulled += chunk_size
        return {"type": "http.request", "body": b" " * chunk_size, "more_body": pulled < chunks * chunk_size}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"transfer-encoding", b"chunked"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    return start["status"], pulled


@pytest.mark.parametrize("method, path, signed_in", [
    ("POST", "/api/v1/auth/login", False),
    ("PUT", "/api/v1/forms/big_form", True),
    ("POST", "/api/v1/cases", True),
    ("POST", "/api/v1/protocols/big/drafts", True),
])
def test_a_chunked_body_past_the_limit_is_refused_before_it_is_read(database_url, session, clock, method, path, signed_in):
    app = create_app(Settings(database_url=database_url))
    headers = []
    if signed_in:
        admin = person(session, clock, "admin", "admin", None)
        headers = [(b"authorization", f"Bearer {admin.token}".encode())]
    chunk = 64 * 1024
    status, pulled = _stream(app, method, path, chunks=(4 * MAX_BODY_BYTES) // chunk, chunk_size=chunk, headers=headers)
    assert status == 413
    # The app stopped pulling at the limit: what was buffered is bounded by it, not by the sender.
    assert pulled <= MAX_BODY_BYTES + chunk


def test_a_chunked_body_within_the_limit_is_read_in_full(database_url, session):
    app = create_app(Settings(database_url=database_url))
    status, pulled = _stream(app, "POST", "/api/v1/auth/login", chunks=4, chunk_size=1024)
    assert status == 422 and pulled == 4 * 1024  # read, then refused as the invalid JSON it is


def test_security_headers_are_on_every_answer_even_413_and_500(database_url):
    app = create_app(Settings(database_url=database_url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("an unexpected failure")

    with TestClient(app, raise_server_exceptions=False) as client:
        too_large = client.post("/api/v1/auth/login", content=b"{}", headers={"Content-Length": str(MAX_BODY_BYTES + 1)})
        crashed = client.get("/boom")
        missing = client.get("/api/v1/nowhere")
    assert too_large.status_code == 413 and too_large.headers["content-type"] == "application/problem+json"
    assert crashed.status_code == 500 and crashed.headers["content-type"] == "application/problem+json"
    assert "unexpected failure" not in crashed.text
    for response in (too_large, crashed, missing):
        for header in SECURITY_HEADERS:
            assert header in response.headers, (response.status_code, header)
        assert response.headers["cache-control"] == "no-store"


def test_a_protocol_upload_stops_at_the_protocol_limit(database_url, session, clock):
    app = create_app(Settings(database_url=database_url))
    policy = person(session, clock, "policy", "policy", None)
    chunk = 64 * 1024
    status, pulled = _stream(app, "POST", "/api/v1/protocols/big/drafts", chunks=MAX_BODY_BYTES // chunk, chunk_size=chunk,
                             headers=[(b"authorization", f"Bearer {policy.token}".encode())])
    assert status == 413 and pulled <= MAX_BPMN_BYTES + chunk
