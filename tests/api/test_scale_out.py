"""Running beyond one machine (issue 14, item 8): two API processes and two workers, started from
the same environment variables against one fresh PostgreSQL database, take P1 cases end to end
with their real forms (requests round-robin over both APIs) while the workers fire deadlines;
one API process and one worker are killed with SIGKILL mid-run. At the end: every 2xx answer's
effect is in the database, every deadline fired once (audit and escalations), every e-mail
arrived once (Message-IDs at a local SMTP sink), and the shared metrics add up across processes.

The test protocol is P1 with every duration timer set to PT2S, so deadlines fall due during the
run on the workers' real clock. The figures go to ``build/scale-out.json`` and the test's output.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from bench.throughput import STEPS  # the shortest way through P1, each form's own fields
from engine.audit import AuditEvent
from engine.cases.models import Case, Escalation, WorkItem
from engine.clock import SystemClock
from engine.db import make_engine
from engine.forms.catalogue import load_forms
from engine.forms.service import load_forms_folder
from engine.network.definition import load_network
from engine.notify.models import OutboxMessage
from engine.people import auth
from engine.people.actors import SYSTEM, Actor
from engine.people.models import User
from engine.protocols import service as protocols
from engine.protocols.cache import cached_session_factory
from engine.settings import PROJECT_ROOT
from tests.api.conftest import API, Person
from tests.processes import free_port, wait_ready

CASES = 10
DRIVERS = 5
KILL_AFTER_COMPLETIONS = 30  # of the ~80 task completions in the run
DEADLINE = "PT2S"
P1 = PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn"


def short_p1() -> bytes:
    """P1 with every duration timer (deadlines, the visit interval) set to PT2S."""
    text = P1.read_text(encoding="utf-8")
    return re.sub(r"<bpmn:timeDuration>[^<]*</bpmn:timeDuration>", f"<bpmn:timeDuration>{DEADLINE}</bpmn:timeDuration>",
                  text).encode("utf-8")


class Sink:
    """A local SMTP server that keeps every message's Message-ID."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message_id = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.message_ids.append(message_id)
        return "250 OK"


@dataclass
class Run:
    bases: list[str]
    processes: dict[str, subprocess.Popen]
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    transport_errors: int = 0
    completions: int = 0
    acknowledged: list[tuple[str, int, int]] = field(default_factory=list)  # (action, id, user id)
    down: set[str] = field(default_factory=set)
    killed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._turns = itertools.cycle(self.bases)

    def next_base(self) -> str:
        with self.lock:
            for _ in range(len(self.bases)):
                base = next(self._turns)
                if base not in self.down:
                    return base
        raise AssertionError("no API process is left")

    def call(self, client: httpx.Client, method: str, path: str, who: Person, body: dict | None = None) -> httpx.Response | None:
        """One request to the next live API; None if the connection broke (the answer is unknown)."""
        base = self.next_base()
        with self.lock:
            self.requests += 1
        try:
            return client.request(method, f"{base}{path}", headers=who.headers, json=body, timeout=60)
        except httpx.TransportError:
            with self.lock:
                self.transport_errors += 1
                if self.processes[base].poll() is not None:
                    self.down.add(base)
            return None

    def acknowledge(self, action: str, ident: int, who: Person) -> None:
        with self.lock:
            self.acknowledged.append((action, ident, who.id))
            if action == "complete":
                self.completions += 1


def _wait(condition, what: str, timeout: float = 30.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(every)


def _drive_case(run: Run, case_id: int, worker: Person, supervisor: Person) -> None:
    with httpx.Client() as client:
        for task_name, role, data in STEPS:
            who = worker if role == "worker" else supervisor

            def open_task(who=who, task_name=task_name):
                answer = run.call(client, "GET", f"{API}/cases/{case_id}", who)
                if answer is None or answer.status_code != 200:
                    return None
                live = [i for i in answer.json()["work_items"] if i["task_name"] == task_name
                        and i["state"] in ("open", "claimed")]
                return live[0] if live else None

            # The follow-up visit appears only once a worker has fired the visit timer.
            item = _wait(open_task, f"{task_name} of case {case_id}", timeout=40)
            if task_name == "receive_report":
                # Left until its deadline has passed and a worker has escalated it.
                _wait(lambda: (open_task() or {}).get("escalation_level", 0) >= 1,
                      f"the deadline of case {case_id}'s intake", timeout=40)
            while True:
                state = _task_state(run, client, item["id"], who)
                if state == "completed":
                    break  # an unacknowledged completion that happened all the same
                if state == "open":
                    claimed = run.call(client, "POST", f"{API}/tasks/{item['id']}/claim", who)
                    if claimed is not None and claimed.status_code == 200:
                        run.acknowledge("claim", item["id"], who)
                    continue
                done = run.call(client, "POST", f"{API}/tasks/{item['id']}/complete", who, {"data": data})
                if done is not None and done.status_code == 200:
                    run.acknowledge("complete", item["id"], who)
                    break
                if done is not None and done.status_code not in (409, 503):
                    raise AssertionError(f"completing {task_name}: {done.status_code} {done.text}")


def _task_state(run: Run, client: httpx.Client, task_id: int, who: Person) -> str:
    while True:
        answer = run.call(client, "GET", f"{API}/tasks/{task_id}", who)
        if answer is not None and answer.status_code == 200:
            return answer.json()["state"]
        if answer is not None and answer.status_code not in (503,):
            raise AssertionError(f"reading task {task_id}: {answer.status_code} {answer.text}")


def _start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return subprocess.Popen([sys.executable, "-c", "from api.cli import main; main()", *command],
                                stdout=subprocess.DEVNULL, stderr=sink, env=environment)


def _people(factory, network) -> tuple[list[Person], Person]:
    with factory() as session:
        def person(username: str, role: str, email: str | None) -> Person:
            user = User(username=username, display_name=username, role_code=role, agency_code="pmj_tak", active=True,
                        created_at=SystemClock().now(), email=email)
            session.add(user)
            session.commit()
            _, secret = auth.create_token(session, user_id=user.id, name="scale-out", expires_at=None,
                                          actor=Actor.of(user), clock=SystemClock())
            session.commit()
            return Person(Actor.of(user), secret)

        # E-mail for one worker (new work) and the supervisor (escalations, and new work for supervisors).
        workers = [person(f"worker{n}.pmj_tak", "case_worker", "worker0@pmj.example" if n == 0 else None)
                   for n in range(DRIVERS)]
        supervisor = person("supervisor.pmj_tak", "supervisor", "head@pmj.example")
    return workers, supervisor


@pytest.mark.postgres
@pytest.mark.slow
def test_two_apis_and_two_workers_survive_sigkill_without_losing_or_doubling_anything(postgres_databases, tmp_path):
    from tests.conftest import new_postgres_database

    started = time.monotonic()
    url = new_postgres_database(postgres_databases, migrate=False)
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # One environment for every process, as the deployment's env file gives it.
    environment = {
        **os.environ, "KHUMKRONG_DATABASE_URL": url, "KHUMKRONG_SMTP_HOST": "127.0.0.1",
        "KHUMKRONG_SMTP_PORT": str(smtp.port), "KHUMKRONG_SMTP_FROM": "khumkrong@tak.example",
        "KHUMKRONG_LOG_LEVEL": "INFO", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    processes: dict[str, subprocess.Popen] = {}
    engine = make_engine(url)
    try:
        # Both APIs start at once on the empty database: one migrates it, the other waits.
        for base, port in zip(bases, ports, strict=True):
            processes[base] = _start(["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)], environment,
                                     tmp_path / f"api-{port}.log")
        for base in bases:
            wait_ready(base, processes[base], timeout=90)
        network = load_network(PROJECT_ROOT / "protocols" / "network.toml")
        factory = cached_session_factory(engine)
        with factory() as session:
            load_forms_folder(session, folder=PROJECT_ROOT / "forms", clock=SystemClock())
            session.commit()
            version, _ = protocols.store_draft(
                session=session, key="p1_abuse_report", bpmn=short_p1(), network=network, clock=SystemClock(),
                actor=SYSTEM, filename=P1.name, forms=load_forms(PROJECT_ROOT / "forms"),
                known_messages=set(protocols.message_start_names(P1.read_bytes())),
            )
            protocols.publish(session=session, key="p1_abuse_report", version=version.version, clock=SystemClock(),
                              actor=SYSTEM)
            session.commit()
        workers, supervisor = _people(factory, network)
        for number in (1, 2):
            processes[f"worker{number}"] = _start(["worker", "--interval", "1"], environment,
                                                  tmp_path / f"worker{number}.log")

        run = Run(bases, processes)
        case_ids = []
        with httpx.Client() as client:
            for number in range(CASES):
                who = workers[number % DRIVERS]
                answer = run.call(client, "POST", f"{API}/cases", who, {"protocol": "p1_abuse_report", "data": {}})
                assert answer is not None and answer.status_code == 201, answer.text if answer else "no answer"
                run.acknowledge("start", answer.json()["id"], who)
                case_ids.append(answer.json()["id"])

        def killer() -> None:
            _wait(lambda: run.completions >= KILL_AFTER_COMPLETIONS, "the kill point", timeout=120, every=0.05)
            for name in (bases[0], "worker1"):
                processes[name].send_signal(signal.SIGKILL)
                run.killed.append(name)

        kill_thread = threading.Thread(target=killer, daemon=True)
        kill_thread.start()
        with ThreadPoolExecutor(DRIVERS) as pool:
            futures = [pool.submit(_drive_case, run, case_id, workers[n % DRIVERS], supervisor)
                       for n, case_id in enumerate(case_ids)]
            for future in futures:
                future.result()
        kill_thread.join(timeout=5)
        assert len(run.killed) == 2 and all(processes[name].wait(timeout=10) == -signal.SIGKILL for name in run.killed)

        # Let the surviving worker send what is due (a message the killed one had claimed keeps
        # its lease, five minutes, and stays "sending").
        def drained():
            with factory() as session:
                now = SystemClock().now()
                return session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status.in_(("pending", "sending")),
                    (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until <= now),
                )) == 0
        _wait(drained, "the outbox to drain", timeout=30)

        scraped = httpx.get(f"{bases[1]}/metrics", timeout=30)
        assert scraped.status_code == 200
        with factory() as session:
            figures = _check(session, run, case_ids, sink)
        figures.update(_metrics(scraped.text, run))
        figures["seconds"] = round(time.monotonic() - started, 1)
        build = PROJECT_ROOT / "build"
        build.mkdir(exist_ok=True)
        (build / "scale-out.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print("scale-out figures:", json.dumps(figures))
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.stop()
        engine.dispose()


def _check(session, run: Run, case_ids: list[int], sink: Sink) -> dict:
    # Every case ran to its end.
    statuses = dict(session.execute(select(Case.id, Case.status).where(Case.id.in_(case_ids))).all())
    assert statuses == {case_id: "completed" for case_id in case_ids}
    assert session.scalar(select(func.count()).select_from(Case)) == len(case_ids), "a start was doubled"

    # No lost acknowledgement: each 2xx answer's effect is in the database.
    items = {item.id: item for item in session.scalars(select(WorkItem))}
    for action, ident, user_id in run.acknowledged:
        if action == "start":
            assert ident in statuses
        elif action == "claim":
            assert items[ident].state == "completed" or items[ident].assignee_id == user_id
        else:
            assert items[ident].state == "completed" and items[ident].completed_by_id == user_id, (action, ident)
    completed = Counter(session.scalars(select(AuditEvent.work_item_id).where(AuditEvent.action == "work_item.completed")))
    assert set(completed.values()) == {1}, "a task was completed twice"

    # No double firing: each timer of each case fired once; each deadline escalated once.
    fired: Counter = Counter()
    for case_id, details in session.execute(select(AuditEvent.case_id, AuditEvent.details)
                                            .where(AuditEvent.action == "case.timers_fired")):
        fired.update((case_id, name) for name in details["timers"])
    assert fired and max(fired.values()) == 1, [key for key, count in fired.items() if count > 1]
    per_deadline = Counter(session.execute(select(Escalation.work_item_id, Escalation.source_element)).all())
    assert per_deadline and max(per_deadline.values()) == 1
    raised = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "escalation.raised"))
    assert raised == sum(per_deadline.values())
    intake_deadlines = {case_id for (case_id, name) in fired if name == "receive_report_deadline"}
    assert intake_deadlines == set(case_ids), "every intake's deadline fired"

    # No double e-mail: every message sent arrived once, and nothing arrived that was not sent.
    outbox = session.execute(select(OutboxMessage.message_id, OutboxMessage.status)).all()
    sent = {message_id for message_id, status in outbox if status == "sent"}
    in_flight = {message_id for message_id, status in outbox if status == "sending"}
    arrived = Counter(sink.message_ids)
    assert arrived and max(arrived.values()) == 1, [m for m, n in arrived.items() if n > 1]
    assert sent <= set(arrived) <= sent | in_flight
    assert len(in_flight) <= 1  # at most the one the killed worker held
    return {
        "requests": run.requests, "transport_errors": run.transport_errors, "cases": len(case_ids),
        "completions": sum(1 for action, _, _ in run.acknowledged if action == "complete"),
        "acknowledged": len(run.acknowledged), "timers_fired": sum(fired.values()),
        "deadline_escalations": sum(per_deadline.values()), "emails": len(arrived), "emails_in_flight": len(in_flight),
        "kills": len(run.killed),
    }


def _metrics(text: str, run: Run) -> dict:
    """The surviving API's /metrics sums every process that shared the directory, the killed included."""
    from prometheus_client.parser import text_string_to_metric_families

    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    requests = sum(s.value for s in samples if s.name == "khumkrong_http_requests_total")
    passes = sum(s.value for s in samples if s.name == "khumkrong_worker_pass_duration_seconds_count")
    completions = sum(s.value for s in samples
                      if s.name == "khumkrong_commands_total" and s.labels.get("command") == "work_item.completed")
    assert requests >= run.requests - run.transport_errors
    assert passes > 0
    assert completions >= sum(1 for action, _, _ in run.acknowledged if action == "complete")
    return {"metrics_requests": int(requests), "metrics_worker_passes": int(passes)}
