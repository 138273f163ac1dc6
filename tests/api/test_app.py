from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from engine.migrations import head_revision
from engine.settings import Settings


def test_healthz_reports_a_migrated_database(database_url):
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "schema_revision": head_revision()}


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
