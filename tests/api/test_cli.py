from __future__ import annotations

import os
import subprocess
import sys

import httpx2 as httpx
from sqlalchemy import select, text
from typer.testing import CliRunner

from api.cli import app
from engine.db import make_engine, make_session_factory
from engine.migrations import head_revision
from engine.network.definition import load_network
from engine.network.models import Agency
from engine.people.auth import LoginAttempt
from engine.settings import PROJECT_ROOT
from tests.conftest import FIXTURES
from tests.processes import free_port, wait_ready

runner = CliRunner()


def test_db_upgrade_creates_schema_and_network_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'khumkrong.db'}"
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
        assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        codes = session.scalars(select(Agency.code).order_by(Agency.code)).all()
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    network = load_network(PROJECT_ROOT / "protocols" / "network.toml")
    assert codes == sorted(network.agencies)
    assert len(network.active_agencies) == 10
    assert revision == head_revision()


def test_lint_passes_a_sound_protocol():
    result = runner.invoke(app, ["protocols", "lint", str(FIXTURES / "reference_protocol.bpmn")])
    assert result.exit_code == 0, result.output
    assert "no findings" in result.output


def test_lint_fails_a_protocol_with_a_script_task(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
        '<bpmn:process id="p" isExecutable="true"><bpmn:scriptTask id="evil"><bpmn:script>import os</bpmn:script>'
        "</bpmn:scriptTask></bpmn:process></bpmn:definitions>",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["protocols", "lint", str(bad)], terminal_width=200)
    assert result.exit_code == 1
    assert "forbidden-element" in result.output and "evil" in result.output


def test_lint_reports_a_missing_file(tmp_path):
    result = runner.invoke(app, ["protocols", "lint", str(tmp_path / "missing.bpmn")], terminal_width=200)
    assert result.exit_code == 1
    assert "unreadable" in result.output


def test_serve_does_not_believe_forwarded_headers_from_localhost(database_url):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise; then anyone on the
    machine could pick the address that the per-address login limit counts (issue 9, item 19)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import app; app()", "serve", "--no-worker", "--host", "127.0.0.1",
         "--port", str(port), "--database-url", database_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server)
        answer = httpx.post(f"{base}/api/v1/auth/login", json={"username": "nobody", "password": "guess"},
                            headers={"X-Forwarded-For": "203.0.113.9"}, timeout=30)
        assert answer.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        addresses = session.scalars(select(LoginAttempt.client_address)).all()
    engine.dispose()
    assert addresses == ["127.0.0.1"]


def test_serve_puts_the_process_together_on_one_database_engine(tmp_path, monkeypatch):
    """Migrating, loading the network, the app and the worker share one wiring, so one engine."""
    import uvicorn

    import engine.db

    made: list[str] = []
    real_create_engine = engine.db.create_engine

    def counting_create_engine(url, **kwargs):
        made.append(str(url))
        return real_create_engine(url, **kwargs)

    served = []
    monkeypatch.setattr(engine.db, "create_engine", counting_create_engine)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    url = f"sqlite:///{tmp_path / 'served.db'}"
    result = runner.invoke(app, ["serve", "--no-worker", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert len(served) == 1 and served[0].state.wiring.settings.database_url == url
    assert made == [url]


def test_serve_with_several_workers_shares_its_metrics_across_processes(tmp_path):
    """uvicorn workers and a separate `khumkrong worker` write to one multiprocess directory, and
    /metrics of whichever API process answers sums them all (api.metrics)."""
    from prometheus_client.parser import text_string_to_metric_families


    port = free_port()
    base = f"http://127.0.0.1:{port}"
    shared = tmp_path / "metrics"  # a folder of its own: every *.db in it is read as metrics
    shared.mkdir()
    environment = {**os.environ, "KHUMKRONG_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
                   "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--no-worker", "--workers", "2",
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=(tmp_path / "serve.log").open("wb"), env=environment,
    )
    try:
        wait_ready(base, server)
        for _ in range(20):
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        once = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "worker", "--once"],
                              env=environment, capture_output=True, timeout=120)
        assert once.returncode == 0, once.stderr
        text = httpx.get(f"{base}/metrics", timeout=10).text
    finally:
        server.terminate()
        server.wait(timeout=30)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    healthz = samples[("khumkrong_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))]
    # Every health check counted once, whichever process answered (the readiness wait asks /readyz).
    assert healthz == 20
    passes = samples[("khumkrong_worker_pass_duration_seconds_count", ())]
    assert passes == 1  # the `worker --once` process's pass, read from its file after it ended
    processes = {path.stem.split("_")[-1] for path in shared.glob("*.db")}
    assert len(processes) >= 3  # the two uvicorn workers and the worker, at least


def test_db_downgrade_takes_the_schema_back_and_refuses_an_unknown_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    down = runner.invoke(app, ["db", "downgrade", "0004", "--database-url", url])
    assert down.exit_code == 0, down.output
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
    engine.dispose()
    assert runner.invoke(app, ["db", "downgrade", "0099", "--database-url", url]).exit_code == 1
