"""The probes of issue 9 items 1-2, re-run: what a protocol with a zero-gap or one-second
repeating deadline (published before lint refused them) costs the server now.

`python -m bench.runaway [DATABASE_URL]` (a fresh SQLite file by default; give an empty
PostgreSQL database to probe that). Figures, not pass/fail: the behaviour is held by
tests/engine/cases/test_run_budget.py and test_repeating_deadlines.py.

1. `POST /cases` on `R/PT0S` on a real-time server: how long until it answers (422), and whether
   the next `POST /cases` is answered.
2. `R/PT1S` for a simulated hour: in one `POST /simulation/clock` move of PT1H, and in 240 moves
   of PT15S (what a worker on its 15-second interval sees): answer time, escalations, state bytes.
3. One worker pass over 20 due cases and one spinning case: its duration, and the escalations
   the 20 got in it.
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

import engine.models  # noqa: F401
from api.app import create_app
from engine.cases import commands
from engine.cases.models import Case, Escalation
from engine.clock import SimulatedClock, SystemClock
from engine.migrations import upgrade_database
from engine.network.service import sync_network
from engine.people import auth
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols import service as protocols
from engine.settings import Settings
from engine.wiring import Wiring
from engine.worker import work_once

API = "/api/v1"
START = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
PLACEHOLDER = "R3/PT1H"


def _document(timer_kind: str, text: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
        '<bpmn:process id="probe" name="ทดสอบ" isExecutable="true">'
        '<bpmn:laneSet id="ls"><bpmn:lane id="l" name="pmj_tak"><bpmn:flowNodeRef>assess</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:userTask id="assess" name="ประเมิน"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
        '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:boundaryEvent id="assess_deadline" attachedToRef="assess" cancelActivity="false"><bpmn:outgoing>f3</bpmn:outgoing>'
        f'<bpmn:timerEventDefinition><bpmn:{timer_kind}>{text}</bpmn:{timer_kind}></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        '<bpmn:endEvent id="late"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="assess"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="assess" targetRef="done"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="assess_deadline" targetRef="late"/>'
        '</bpmn:process></bpmn:definitions>'
    )


class Probe:
    def __init__(self, url: str) -> None:
        self.url = url
        self.wiring = Wiring.from_settings(Settings(database_url=url), clock=SimulatedClock(START))
        upgrade_database(self.wiring.db)
        self.network = self.wiring.network
        with self.wiring.session_factory() as session:
            sync_network(session=session, network=self.network)
            policy = User(username="probe.policy", display_name="p", role_code="policy", active=True, created_at=START)
            worker = User(username="probe.worker", display_name="w", role_code="case_worker", agency_code="pmj_tak",
                          active=True, created_at=START)
            admin = User(username="probe.admin", display_name="a", role_code="admin", active=True, created_at=START)
            session.add_all([policy, worker, admin])
            session.commit()
            self.policy, self.worker, self.admin = Actor.of(policy), Actor.of(worker), Actor.of(admin)
            self.tokens = {
                name: auth.create_token(session, user_id=actor.user_id, name="probe", expires_at=None, actor=actor,
                                        clock=SystemClock())[1]
                for name, actor in (("worker", self.worker), ("admin", self.admin))
            }
            session.commit()

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def publish(self, key: str, timer_kind: str, text: str) -> None:
        """Published as an old version would hold it: stored with a valid timer, then swapped."""
        clock = SimulatedClock(START)
        stored = PLACEHOLDER if timer_kind == "timeCycle" else text
        with self.wiring.session_factory() as session:
            version, _ = protocols.store_draft(session=session, key=key, bpmn=_document(timer_kind, stored),
                                               network=self.network, clock=clock, actor=self.policy)
            version.spec_json = version.spec_json.replace(PLACEHOLDER, text)
            session.commit()
            protocols.publish(session=session, key=key, version=version.version, clock=clock, actor=self.policy)

    def figures(self, case_id: int) -> tuple[str, int, int]:
        with self.wiring.session_factory() as session:
            case = session.get_one(Case, case_id)
            escalations = session.scalar(select(func.count()).select_from(Escalation).where(Escalation.case_id == case_id))
            return case.status, int(escalations or 0), len(case.state_json.encode())


def probe_zero_gap_start(probe: Probe) -> None:
    probe.publish("zero_gap", "timeCycle", "R/PT0S")
    probe.wiring.clock = SystemClock()
    with TestClient(create_app(wiring=probe.wiring)) as client:
        began = time.perf_counter()
        refused = client.post(f"{API}/cases", headers=probe.headers("worker"), json={"protocol": "zero_gap", "data": {}})
        took = time.perf_counter() - began
        began = time.perf_counter()
        next_start = client.post(f"{API}/cases", headers=probe.headers("worker"), json={"protocol": "control", "data": {}})
        next_took = time.perf_counter() - began
    body = refused.json()
    print(f"1. POST /cases on R/PT0S (real clock): {refused.status_code} in {took:.3f} s "
          f"({body.get('exceeded')}: {body.get('timer_firings')} firings, {body.get('engine_steps')} steps, "
          f"element {body.get('element')}); the next POST /cases: {next_start.status_code} in {next_took:.3f} s")


def probe_one_second_hour(probe: Probe) -> None:
    probe.publish("one_second", "timeCycle", "R/PT1S")
    for label, step, moves in (("one move of PT1H", "PT1H", 1), ("240 moves of PT15S", "PT15S", 240)):
        probe.wiring.clock = SimulatedClock(START)
        with TestClient(create_app(wiring=probe.wiring, simulation=True)) as client:
            started = client.post(f"{API}/cases", headers=probe.headers("worker"), json={"protocol": "one_second", "data": {}})
            case_id = started.json()["id"]
            client.post(f"{API}/simulation/clock", headers=probe.headers("admin"), json={"advance": "PT15S"})
            _, _, first_bytes = probe.figures(case_id)
            began = time.perf_counter()
            answers = [client.post(f"{API}/simulation/clock", headers=probe.headers("admin"), json={"advance": step})
                       for _ in range(moves)]
            took = time.perf_counter() - began
        status, escalations, state_bytes = probe.figures(case_id)
        print(f"2. R/PT1S, a simulated hour in {label}: answers {sorted({a.status_code for a in answers})}, "
              f"{took:.2f} s in all; case {status}, {escalations} escalation(s), "
              f"state {first_bytes} bytes after 15 s -> {state_bytes} bytes after the hour")


def probe_worker_pass(probe: Probe, *, controls: int = 20) -> None:
    probe.publish("zero_gap_pass", "timeCycle", "R/PT0S")
    probe.publish("control", "timeDuration", "PT1H")
    clock = SimulatedClock(START)
    probe.wiring.clock = clock
    for with_bad_case in (False, True):
        with probe.wiring.session_factory() as session:
            good = [commands.start_case(session=session, protocol_key="control", data={}, actor=probe.worker, clock=clock,
                                        network=probe.network).id for _ in range(controls)]
            bad = commands.start_case(session=session, protocol_key="zero_gap_pass", data={}, actor=probe.worker,
                                      clock=clock, network=probe.network) if with_bad_case else None
        clock.advance(timedelta(hours=2))
        began = time.perf_counter()
        result = work_once(session_factory=probe.wiring.session_factory, clock=clock, network=probe.network,
                           settings=probe.wiring.settings)
        took = time.perf_counter() - began
        with probe.wiring.session_factory() as session:
            escalated = session.scalar(
                select(func.count(func.distinct(Escalation.case_id))).where(Escalation.case_id.in_(good))
            )
            status = session.get_one(Case, bad.id).status if bad is not None else None
        if bad is None:
            print(f"3. one worker pass over {controls} due cases: {took:.2f} s; {escalated}/{controls} escalated in it")
        else:
            print(f"3. one worker pass over {controls} due cases and one R/PT0S case: {took:.2f} s; "
                  f"{escalated}/{controls} escalated in it; the spinning case is {status} "
                  f"(failed {result.tick.failed_case_ids})")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = argv[0] if argv else f"sqlite:///{Path(folder) / 'probe.db'}"
        probe = Probe(url)
        print(f"database: {probe.wiring.db.dialect.name}")
        probe_worker_pass(probe)  # first: its pass takes every due case, and the others leave some
        probe_zero_gap_start(probe)
        probe_one_second_hour(probe)
        probe.wiring.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
