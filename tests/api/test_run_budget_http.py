"""Issue 9 item 1 over HTTP: a protocol whose repeating timer fires more than a command may do
(published before lint refused it) answers a case start with a 422 problem naming the element
instead of never answering, and the simulated clock's move returns with a case whose timer has no
gap (``R/PT0S``) set aside."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from engine.cases.models import Case
from engine.settings import PROJECT_ROOT, Settings
from tests.api.conftest import API
from tests.engine.cases.test_run_budget import CATCHING_UP, FIRINGS, publish_control, publish_unlinted


@pytest.fixture
def client(database_url, clock, tmp_path):
    """The app on a network whose limits allow fifty timer firings a command (the shipped file's
    other lines as they are): the limit reached is the one tested, on however busy a machine."""
    shipped = (PROJECT_ROOT / "protocols" / "network.toml").read_text(encoding="utf-8")
    assert "max_timer_firings = 500" in shipped
    network_file = tmp_path / "network.toml"
    network_file.write_text(shipped.replace("max_timer_firings = 500", f"max_timer_firings = {FIRINGS}"), encoding="utf-8")
    settings = Settings(database_url=database_url, network_file=network_file)
    with TestClient(create_app(settings, clock=clock, simulation=True)) as test_client:
        yield test_client


def test_a_case_start_that_would_spin_answers_422_naming_the_element(client, session, network, clock, staff):
    policy = {"policy": staff["policy"].actor}
    publish_unlinted(session, network, clock, policy, "flood", CATCHING_UP)
    publish_control(session, network, clock, policy)
    worker = staff["worker.pmj_tak"].headers

    refused = client.post(f"{API}/cases", headers=worker, json={"protocol": "flood", "data": {}})

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "urn:khumkrong:problem:run-budget-exceeded"
    assert (problem["element"], problem["exceeded"], problem["timer_firings"]) == ("assess_deadline", "timer_firings", FIRINGS + 1)
    assert "assess_deadline" in problem["detail"]
    # Nothing was kept locked: the next start, on another protocol, is answered and numbered first.
    started = client.post(f"{API}/cases", headers=worker, json={"protocol": "control", "data": {}})
    assert started.status_code == 201, started.text
    assert started.json()["reference"].endswith("-000001")


def test_moving_the_simulated_clock_returns_with_the_spinning_case_in_error(client, session, network, clock, staff):
    policy = {"policy": staff["policy"].actor}
    publish_unlinted(session, network, clock, policy, "flood", "R/PT0S")
    worker = staff["worker.pmj_tak"].headers
    started = client.post(f"{API}/cases", headers=worker, json={"protocol": "flood", "data": {}})
    assert started.status_code == 201, started.text

    moved = client.post(f"{API}/simulation/clock", headers=staff["admin"].headers, json={"advance": "PT1H"})

    assert moved.status_code == 200, moved.text
    assert moved.json()["failed_case_ids"] == [started.json()["id"]]
    session.expire_all()
    assert session.scalar(select(Case.status).where(Case.id == started.json()["id"])) == "error"
    # Its open work is still there to read.
    detail = client.get(f"{API}/cases/{started.json()['id']}", headers=worker)
    assert detail.status_code == 200 and detail.json()["status"] == "error"
