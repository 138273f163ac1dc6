"""Request ids, one JSON log line per request, and /metrics (issue 14, item 5)."""
from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.logs import KhumkrongJsonFormatter, RequestIdFilter
from engine.protocols import service as protocols
from engine.settings import Settings
from tests.api.conftest import API
from tests.conftest import FIXTURES

REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")
LOCAL = ("127.0.0.1", 40000)
PROXY = ("10.0.0.2", 40000)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The JSON lines the app's loggers write, as the deployment's configuration formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KhumkrongJsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def request_lines(stream: io.StringIO) -> list[dict]:
    return [line for line in lines(stream) if line["logger"] == "khumkrong.request"]


def app_with(database_url, clock, **settings):
    return create_app(Settings(database_url=database_url, metrics_sql_seconds=0, **settings), clock=clock, simulation=True)


def test_every_answer_carries_a_fresh_request_id_and_a_stranger_cannot_choose_it(database_url, clock):
    with TestClient(app_with(database_url, clock), client=LOCAL) as client:
        first, second = client.get("/healthz"), client.get("/healthz", headers={"X-Request-ID": "chosen-by-me"})
        missing = client.get("/no/such/page")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"], missing.headers["x-request-id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert len(set(ids)) == 3 and "chosen-by-me" not in ids


def test_a_trusted_proxy_passes_its_request_id_on_if_it_is_well_formed(database_url, clock):
    app = app_with(database_url, clock, trusted_proxies=["10.0.0.0/24"])
    with TestClient(app, client=PROXY) as client:
        kept = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a:42"})
        for bad in ("has space", "x" * 200, "line\tbreak", "-leading-dash"):
            replaced = client.get("/healthz", headers={"X-Request-ID": bad})
            assert replaced.headers["x-request-id"] != bad
            assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    assert kept.headers["x-request-id"] == "edge-7f3a:42"


def test_each_request_writes_one_json_line_with_route_template_user_status_and_duration(
    database_url, clock, session, staff, captured,
):
    worker = staff["worker.pmj_tak"]
    with TestClient(app_with(database_url, clock), client=LOCAL) as client:
        answer = client.get(f"{API}/tasks/424242", headers=worker.headers)
        listed = client.get(f"{API}/cases", headers=worker.headers, params={"q": "ดาว"})
        anonymous = client.get(f"{API}/me")
    assert answer.status_code == 404 and listed.status_code == 200 and anonymous.status_code == 401
    missing, search, refused = request_lines(captured)
    assert missing["route"] == f"{API}/tasks/{{task_id}}" and missing["status"] == 404
    assert missing["method"] == "GET" and missing["user_id"] == worker.id
    assert missing["request_id"] == answer.headers["x-request-id"]
    assert isinstance(missing["duration_ms"], float) and missing["duration_ms"] >= 0
    assert missing["level"] == "INFO" and missing["time"].endswith("+00:00")
    # The route template, never the raw path or the query (a search may hold a child's name).
    assert search["route"] == f"{API}/cases" and "ดาว" not in json.dumps(search, ensure_ascii=False)
    assert refused["user_id"] is None and refused["status"] == 401


def test_lines_written_during_a_request_carry_its_id_and_foreign_extras_are_dropped(database_url, clock, captured):
    app = app_with(database_url, clock)

    @app.get("/chatty")
    def chatty() -> dict:
        # SpiffWorkflow attaches a task's data to its records like this; none of it may reach a line.
        logging.getLogger("khumkrong.test").warning("stepping", extra={"data": {"child_first_name": "มะลิ"}, "route": "x"})
        return {}

    with TestClient(app, client=LOCAL) as client:
        answer = client.get("/chatty")
    [line] = [line for line in lines(captured) if line["logger"] == "khumkrong.test"]
    assert line["request_id"] == answer.headers["x-request-id"]
    assert "data" not in line and "มะลิ" not in captured.getvalue()


def scrape(client: TestClient) -> dict[str, dict[tuple, float]]:
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


@pytest.mark.parametrize("peer, headers", [
    (("10.1.2.3", 5000), {}),
    (("192.168.1.9", 5000), {}),
    # Relayed by a proxy on this machine: the proxy's address is allowed, the request is not a scrape.
    (LOCAL, {"X-Forwarded-For": "203.0.113.7"}),
    (LOCAL, {"Forwarded": "for=203.0.113.7"}),
])
def test_metrics_are_not_found_from_anywhere_but_the_configured_addresses(database_url, clock, peer, headers):
    with TestClient(app_with(database_url, clock), client=peer) as client:
        answer = client.get("/metrics", headers=headers)
        unknown = client.get("/no-such-page", headers=headers)
    # Answered as if there were no such page.
    assert answer.status_code == 404 and answer.json() == unknown.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert "khumkrong_" not in answer.text


def test_metrics_addresses_come_from_the_settings(database_url, clock):
    app = app_with(database_url, clock, metrics_addresses=["10.9.0.0/16"])
    with TestClient(app, client=("10.9.4.4", 5000)) as inside:
        assert inside.get("/metrics").status_code == 200
    with TestClient(app, client=LOCAL) as local:
        assert local.get("/metrics").status_code == 404
    assert "/metrics" not in TestClient(app, client=LOCAL).get("/openapi.json").text


def test_metrics_count_requests_by_route_commands_escalations_and_read_the_backlog(
    database_url, clock, session, network, staff, reference_forms,
):
    policy, school = staff["policy"], staff["worker.spm_tak"]
    version, _ = protocols.store_draft(session=session, key="reference", bpmn=REFERENCE, network=network, clock=clock,
                                       actor=policy.actor)
    protocols.publish(session=session, key="reference", version=version.version, clock=clock, actor=policy.actor)
    session.commit()
    with TestClient(app_with(database_url, clock), client=LOCAL) as client:
        before = scrape(client)
        assert value(before, "khumkrong_database_up") == 1
        assert value(before, "khumkrong_work_items_open", agency="spm_tak") == 0
        case = client.post(f"{API}/cases", headers=school.headers,
                           json={"protocol": "reference", "data": {}, "reporting_unit": "school_takpit"}).json()
        [report] = client.get(f"{API}/tasks", headers=school.headers).json()["items"]
        for _ in range(3):
            assert client.get(f"{API}/tasks/{report['id']}", headers=school.headers).status_code == 200
        assert client.post(f"{API}/tasks/{report['id']}/claim", headers=school.headers).status_code == 200
        done = client.post(f"{API}/tasks/{report['id']}/complete", headers=school.headers,
                           json={"data": {"severity": "high"}})
        assert done.status_code == 200, done.text
        middle = scrape(client)
        # The assessment waits at the social development office; a day later it is overdue and escalated.
        moved = client.post(f"{API}/simulation/clock", headers=staff["admin"].headers, json={"advance": "PT25H"})
        assert moved.status_code == 200 and moved.json()["timers_fired"] >= 1
        after = scrape(client)

    route = f"{API}/tasks/{{task_id}}"
    assert value(middle, "khumkrong_http_request_duration_seconds_count", method="GET", route=route) - value(
        before, "khumkrong_http_request_duration_seconds_count", method="GET", route=route) == 3
    assert value(middle, "khumkrong_http_requests_total", method="POST", route=f"{route}/complete", status="200") - value(
        before, "khumkrong_http_requests_total", method="POST", route=f"{route}/complete", status="200") == 1
    # No series is labelled with a raw path.
    routes = {dict(labels)["route"] for labels in middle["khumkrong_http_requests_total"]}
    assert f"{route}/claim" in routes and not [r for r in routes if re.search(r"/[0-9]+(/|$)", r)]

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("khumkrong_commands_total", command="case.started") == 1
    assert delta("khumkrong_commands_total", command="work_item.completed") == 1
    assert delta("khumkrong_commands_total", command="work_item.claimed") == 1
    assert delta("khumkrong_commands_total", command="case.timers_fired") >= 1
    # Reads are audited, but they are not commands.
    assert ("command", "task.viewed") not in {label for labels in after["khumkrong_commands_total"] for label in labels}
    assert delta("khumkrong_escalations_raised_total", reason="overdue") == 1

    assert value(middle, "khumkrong_work_items_open", agency="pmj_tak") == 1
    assert value(middle, "khumkrong_work_items_overdue", agency="pmj_tak") == 0
    assert value(after, "khumkrong_work_items_open", agency="pmj_tak") == 1
    assert value(after, "khumkrong_work_items_overdue", agency="pmj_tak") == 1
    assert value(after, "khumkrong_escalations_open", level="1") == 1
    assert value(after, "khumkrong_worker_lag_seconds") == 0  # the simulation fired every due timer
    assert case["status"] == "active"


def test_the_backlog_shows_how_far_behind_the_workers_are(database_url, clock, session, network, staff, reference_forms):
    policy, school = staff["policy"], staff["worker.spm_tak"]
    version, _ = protocols.store_draft(session=session, key="reference", bpmn=REFERENCE, network=network, clock=clock,
                                       actor=policy.actor)
    protocols.publish(session=session, key="reference", version=version.version, clock=clock, actor=policy.actor)
    session.commit()
    with TestClient(app_with(database_url, clock), client=LOCAL) as client:
        client.post(f"{API}/cases", headers=school.headers, json={"protocol": "reference", "data": {}, "reporting_unit": "school_takpit"})
        [report] = client.get(f"{API}/tasks", headers=school.headers).json()["items"]
        client.post(f"{API}/tasks/{report['id']}/claim", headers=school.headers)
        client.post(f"{API}/tasks/{report['id']}/complete", headers=school.headers, json={"data": {"severity": "high"}})
        # 26 hours pass and no worker runs: the assessment's 24-hour deadline waits 2 hours unfired.
        from datetime import timedelta
        clock.advance(timedelta(hours=26))
        samples = scrape(client)
    assert value(samples, "khumkrong_worker_lag_seconds") == pytest.approx(2 * 3600, abs=60)
    assert value(samples, "khumkrong_work_items_overdue", agency="pmj_tak") == 1


def test_worker_passes_are_timed_and_counted_by_outcome(session_factory, network, clock):
    import threading

    from api.metrics import observe_worker_pass
    from engine.worker import run_worker

    def sample(name, **labels):
        from prometheus_client import REGISTRY
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (sample("khumkrong_worker_pass_duration_seconds_count"), sample("khumkrong_worker_passes_total", outcome="ok"),
              sample("khumkrong_worker_passes_total", outcome="failed"))
    heard = []

    def once(settings):
        stop = threading.Event()

        def on_pass(result, seconds):
            heard.append((result, seconds))
            observe_worker_pass(result, seconds)
            stop.set()

        run_worker(session_factory=session_factory, clock=clock, network=network, settings=settings,
                   interval_seconds=1, stop=stop, on_pass=on_pass)

    once(Settings(database_url="sqlite://"))
    # A sender that cannot be configured fails the whole pass: counted as failed, still timed.
    once(Settings(database_url="sqlite://", smtp_from="nobody"))
    after = (sample("khumkrong_worker_pass_duration_seconds_count"), sample("khumkrong_worker_passes_total", outcome="ok"),
             sample("khumkrong_worker_passes_total", outcome="failed"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1]
    assert heard[0][0] is not None and heard[1][0] is None and all(seconds >= 0 for _, seconds in heard)


def test_probes_and_scrapes_that_succeed_are_logged_at_debug_only(database_url, clock, captured):
    with TestClient(app_with(database_url, clock), client=LOCAL) as client:
        client.get("/healthz")
        client.get("/metrics")
        client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})  # refused: worth a line
    assert [(line["route"], line["status"]) for line in request_lines(captured)] == [("/metrics", 404)]
