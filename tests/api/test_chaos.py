"""The chaos run of issue 9's acceptance: twenty clients claim, complete, comment, give back and
acknowledge at random for thirty seconds against a real server (with its worker firing one-second
deadlines) on PostgreSQL; the server is killed with SIGKILL in the middle and started again.

At the end: PostgreSQL counted no deadlock in the test database (``pg_stat_database.deadlocks``
before and after), no answer was a 5xx, every acknowledged (2xx) command is in the database
exactly once, and every case's work items are exactly its workflow's live user tasks. The figures
go to ``build/chaos.json`` and the test's output.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import func, select, text

from engine.audit import AuditEvent
from engine.cases.comments import TaskComment
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, Escalation, WorkItem
from engine.cases.stepping import restore
from engine.clock import SystemClock
from engine.db import make_engine
from engine.network.definition import load_network
from engine.people import auth
from engine.people.actors import SYSTEM, Actor
from engine.people.models import User
from engine.protocols import service as protocols
from engine.protocols.cache import cached_session_factory
from engine.settings import PROJECT_ROOT
from engine.workflow.tree import live_manual_tasks
from tests.api.conftest import API, Person
from tests.bpmn_builders import flow, protocol, task
from tests.processes import free_port, wait_ready

CLIENTS = 20
SECONDS = 30.0
KILL_AT = 12.0  # seconds into the run
CASES = 8  # few enough that clients meet on the same cases, and on the same tasks
AGENCY = "pmj_tak"
KEY = "chaos"


def two_tasks_with_deadlines() -> str:
    """start → first → second → end; each task with a one-second, non-interrupting deadline."""
    parts = ['<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n']
    ids = ["first", "second"]
    for index, task_id in enumerate(ids):
        parts.append(task(task_id, f"f{index}", f"f{index + 1}", attributes=f' name="{task_id}"'))
        parts.append(flow(f"f{index}", "begin" if index == 0 else ids[index - 1], task_id))
        parts.append(
            f'<bpmn:boundaryEvent id="{task_id}_late" attachedToRef="{task_id}" cancelActivity="false">'
            f'<bpmn:outgoing>{task_id}_l</bpmn:outgoing><bpmn:timerEventDefinition id="{task_id}_timer">'
            '<bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
            f'<bpmn:endEvent id="{task_id}_escalated"><bpmn:incoming>{task_id}_l</bpmn:incoming></bpmn:endEvent>'
            + flow(f"{task_id}_l", f"{task_id}_late", f"{task_id}_escalated")
        )
    parts.append('<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n')
    parts.append(flow("f2", "second", "done"))
    return protocol("".join(parts), tasks=ids, lane=AGENCY)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: Counter = field(default_factory=Counter)  # (command, status)
    server_errors: list[str] = field(default_factory=list)
    unknown: Counter = field(default_factory=Counter)  # (command, id, user) whose answer was lost
    claimed: Counter = field(default_factory=Counter)  # (item, user) -> 200s
    unclaimed: Counter = field(default_factory=Counter)
    completed: dict[int, int] = field(default_factory=dict)  # item -> user
    comments: dict[str, int] = field(default_factory=dict)  # body -> comment id
    acknowledged: dict[int, int] = field(default_factory=dict)  # escalation -> user
    started: set[int] = field(default_factory=set)
    cases: list[int] = field(default_factory=list)


@dataclass
class Server:
    port: int
    environment: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    down: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from api.cli import main; main()", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--worker-interval", "1"],
                stdout=subprocess.DEVNULL, stderr=sink, env=self.environment,
            )
        wait_ready(self.base, self.process, timeout=90)


def _people(factory) -> list[Person]:
    """Sixteen case workers and four supervisors of one agency, each with a token."""
    people = []
    with factory() as session:
        for number in range(CLIENTS):
            role = "supervisor" if number >= 16 else "case_worker"
            user = User(username=f"{role}{number}.{AGENCY}", display_name=f"{role} {number}", role_code=role,
                        agency_code=AGENCY, active=True, created_at=SystemClock().now())
            session.add(user)
            session.commit()
            _, secret = auth.create_token(session, user_id=user.id, name="chaos", expires_at=None,
                                          actor=Actor.of(user), clock=SystemClock())
            session.commit()
            people.append(Person(Actor.of(user), secret))
    return people


def _client(server: Server, tally: Tally, who: Person, until: float, seed: int) -> None:
    chance = random.Random(seed)
    with httpx.Client(base_url=server.base, headers=who.headers, timeout=60) as client:

        def call(command: str, method: str, path: str, key: tuple = (), body: dict | None = None):
            try:
                answer = client.request(method, f"{API}{path}", json=body)
            except httpx.TransportError:
                with tally.lock:
                    tally.unknown[(command, *key)] += 1
                time.sleep(0.2)  # the server is down; wait for it to come back
                return None
            with tally.lock:
                tally.answers[(command, answer.status_code)] += 1
                if answer.status_code >= 500:
                    tally.server_errors.append(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
            return answer

        while time.monotonic() < until:
            if who.actor.role == "supervisor" and chance.random() < 0.5:
                listed = call("list_escalations", "GET", "/escalations?status=open&limit=20")
                if listed is not None and listed.status_code == 200 and listed.json()["items"]:
                    escalation = chance.choice(listed.json()["items"])
                    done = call("acknowledge", "POST", f"/escalations/{escalation['id']}/acknowledge",
                                (escalation["id"], who.id), {"note": "รับทราบแล้ว"})
                    if done is not None and done.status_code == 200:
                        with tally.lock:
                            tally.acknowledged[escalation["id"]] = who.id
                continue
            with tally.lock:
                case_id = chance.choice(tally.cases)
            detail = call("read_case", "GET", f"/cases/{case_id}")
            if detail is None or detail.status_code != 200:
                continue
            if detail.json()["status"] != "active":
                with tally.lock:
                    if case_id in tally.cases:
                        tally.cases.remove(case_id)
                started = call("start", "POST", "/cases", (), {"protocol": KEY, "data": {}})
                if started is not None and started.status_code == 201:
                    with tally.lock:
                        tally.started.add(started.json()["id"])
                        tally.cases.append(started.json()["id"])
                continue
            live = [i for i in detail.json()["work_items"] if i["state"] in LIVE_WORK_ITEM_STATES]
            if not live:
                continue
            item = chance.choice(live)
            roll = chance.random()
            if roll < 0.2:
                body = f"บันทึก {uuid.uuid4().hex}"
                done = call("comment", "POST", f"/tasks/{item['id']}/comments", (body,), {"body": body})
                if done is not None and done.status_code == 201:
                    with tally.lock:
                        tally.comments[body] = done.json()["id"]
            elif item["state"] == "open" and roll < 0.7:
                done = call("claim", "POST", f"/tasks/{item['id']}/claim", (item["id"], who.id))
                if done is not None and done.status_code == 200:
                    with tally.lock:
                        tally.claimed[(item["id"], who.id)] += 1
            elif item.get("assignee_id") == who.id and roll < 0.3:
                done = call("unclaim", "POST", f"/tasks/{item['id']}/unclaim", (item["id"], who.id))
                if done is not None and done.status_code == 200:
                    with tally.lock:
                        tally.unclaimed[(item["id"], who.id)] += 1
            else:
                # An open task may be completed without claiming it; one claimed by someone else is a 409.
                done = call("complete", "POST", f"/tasks/{item['id']}/complete", (item["id"], who.id),
                            {"data": {"note": "เสร็จแล้ว"}})
                if done is not None and done.status_code == 200:
                    with tally.lock:
                        tally.completed[item["id"]] = who.id


def _deadlocks(engine) -> int:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        return int(connection.scalar(text(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")) or 0)


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_clients_and_a_sigkill_leave_no_deadlock_no_5xx_and_nothing_lost_or_doubled(postgres_databases, tmp_path):
    from tests.conftest import new_postgres_database

    url = new_postgres_database(postgres_databases)
    engine = make_engine(url)
    factory = cached_session_factory(engine)
    network = load_network(PROJECT_ROOT / "protocols" / "network.toml")
    server = Server(free_port(), {**os.environ, "KHUMKRONG_DATABASE_URL": url, "KHUMKRONG_LOG_LEVEL": "WARNING"},
                    tmp_path / "server.log")
    tally = Tally()
    try:
        server.start()  # the server loads the network's agencies, which the people below belong to
        with factory() as session:
            version, _ = protocols.store_draft(session=session, key=KEY, bpmn=two_tasks_with_deadlines().encode("utf-8"),
                                               network=network, clock=SystemClock(), actor=SYSTEM)
            protocols.publish(session=session, key=KEY, version=version.version, clock=SystemClock(), actor=SYSTEM)
            session.commit()
        people = _people(factory)
        with httpx.Client(base_url=server.base, headers=people[0].headers, timeout=60) as client:
            for _ in range(CASES):
                answer = client.post(f"{API}/cases", json={"protocol": KEY, "data": {}})
                assert answer.status_code == 201, answer.text
                tally.started.add(answer.json()["id"])
                tally.cases.append(answer.json()["id"])
        deadlocks_before = _deadlocks(engine)
        started = time.monotonic()
        until = started + SECONDS
        clients = [threading.Thread(target=_client, args=(server, tally, who, until, n)) for n, who in enumerate(people)]
        for thread in clients:
            thread.start()
        time.sleep(KILL_AT)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        assert server.process.wait(timeout=10) == -signal.SIGKILL
        server.start()
        restarted_after = round(time.monotonic() - started, 1)
        for thread in clients:
            thread.join(timeout=SECONDS + 120)
        assert not any(thread.is_alive() for thread in clients), "a client hung"
        time.sleep(1.5)  # PostgreSQL publishes a backend's statistics at most once a second
        deadlocks = _deadlocks(engine) - deadlocks_before
        print("chaos answers:", json.dumps({"deadlocks": deadlocks, "server_errors": len(tally.server_errors),
                                            **{f"{c} {s}": n for (c, s), n in sorted(tally.answers.items())}}))
        with factory() as session:
            checked = _check(session, tally)
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.process.kill()
        engine.dispose()
    figures = {
        "deadlocks": deadlocks, "server_errors": len(tally.server_errors), "restarted_after_s": restarted_after,
        "answers": {f"{command} {status}": n for (command, status), n in sorted(tally.answers.items())},
        "lost_answers": sum(tally.unknown.values()), **checked,
    }
    build = PROJECT_ROOT / "build"
    build.mkdir(exist_ok=True)
    (build / "chaos.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("chaos figures:", json.dumps(figures))
    assert tally.server_errors == [], tally.server_errors[:5]
    assert deadlocks == 0
    assert figures["answers"].get("complete 200", 0) > 0 and figures["answers"].get("claim 200", 0) > 0
    assert figures["answers"].get("acknowledge 200", 0) > 0 and figures["answers"].get("comment 201", 0) > 0


def _check(session, tally: Tally) -> dict:
    """Every acknowledged command is in the database once; work items match the workflows."""
    items = {item.id: item for item in session.scalars(select(WorkItem))}
    events = Counter(
        (action, work_item_id, actor_id) for action, work_item_id, actor_id in session.execute(
            select(AuditEvent.action, AuditEvent.work_item_id, AuditEvent.actor_id)
            .where(AuditEvent.action.in_(("work_item.claimed", "work_item.unclaimed", "work_item.completed")))
        )
    )
    # A completion answered 200 is in the database, done by whoever was told so, and only once.
    for item_id, user_id in tally.completed.items():
        assert items[item_id].state == "completed" and items[item_id].completed_by_id == user_id, item_id
    per_item = Counter(work_item_id for (action, work_item_id, _), n in events.items() if action == "work_item.completed"
                       for _ in range(n))
    assert set(per_item.values()) <= {1}, "a task was completed twice"
    # Claims and give-backs: at least every 200, at most the 200s and the answers that were lost.
    for command, action in (("claim", "work_item.claimed"), ("unclaim", "work_item.unclaimed")):
        acknowledged = tally.claimed if command == "claim" else tally.unclaimed
        for (item_id, user_id), n in acknowledged.items():
            recorded = events[(action, item_id, user_id)]
            assert n <= recorded <= n + tally.unknown[(command, item_id, user_id)], (command, item_id, user_id, n, recorded)
    # Comments: each one answered 201 is stored once, under the id it was given.
    bodies = Counter(session.scalars(select(TaskComment.body).where(TaskComment.body.in_(list(tally.comments) or [""]))))
    assert all(bodies[body] == 1 for body in tally.comments), "a comment was lost or doubled"
    stored = dict(session.execute(select(TaskComment.body, TaskComment.id).where(TaskComment.body.in_(list(tally.comments) or [""]))).all())
    assert stored == tally.comments
    # Acknowledgements: the escalation says who acknowledged it, and was acknowledged once.
    acknowledged_events = Counter(session.scalars(
        select(AuditEvent.details["escalation_id"].as_integer()).where(AuditEvent.action == "escalation.acknowledged")))
    for escalation_id, user_id in tally.acknowledged.items():
        escalation = session.get_one(Escalation, escalation_id)
        assert escalation.acknowledged_by_id == user_id and acknowledged_events[escalation_id] == 1, escalation_id
    # Starts: each case answered 201 exists; no case was started that nobody asked for.
    cases = {case.id: case for case in session.scalars(select(Case))}
    assert tally.started <= set(cases)
    assert len(cases) <= len(tally.started) + tally.unknown[("start",)]
    # Work items are the workflow's live user tasks: no live item for a finished task, no task
    # without its item, never two items for one task.
    inconsistent = []
    for case in cases.values():
        own = [item for item in items.values() if item.case_id == case.id]
        assert len({item.task_id for item in own}) == len(own), f"case {case.id} has two items for one task"
        live_items = {item.task_id for item in own if item.state in LIVE_WORK_ITEM_STATES}
        live_tasks = {str(t.id) for t in live_manual_tasks(restore(session=session, case=case))}
        if live_items != live_tasks or (case.status == "completed" and live_items):
            inconsistent.append(case.id)
    assert inconsistent == []
    escalations = session.scalar(select(func.count()).select_from(Escalation))
    return {
        "cases": len(cases), "work_items": len(items), "completions": len(per_item), "escalations": escalations,
        "acknowledgements": len(tally.acknowledged), "comments": len(tally.comments),
    }
