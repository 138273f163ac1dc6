"""Acceptance: two workers on PostgreSQL, 1,000 cases whose deadlines fall due at once —
every timer fires exactly once and every escalation is raised exactly once."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, Escalation, WorkItem
from engine.deadlines.tick import tick
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols import service as protocols
from tests.conftest import START

CASES = 1000
WORKERS = 2

DEADLINE = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="deadline_only" name="กำหนด เวลา" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="social" name="pmj_tak">
      <bpmn:flowNodeRef>assess</bpmn:flowNodeRef><bpmn:flowNodeRef>late</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="assess" name="ประเมิน"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="late" attachedToRef="assess" cancelActivity="false"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT24H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="noted"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="assess"/>
    <bpmn:sequenceFlow id="f2" sourceRef="assess" targetRef="done"/>
    <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="noted"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_fire_a_thousand_deadlines_exactly_once(postgres_session_factory, network, clock):
    factory = postgres_session_factory
    with factory() as session:
        user = User(username="scale.worker", display_name="w", role_code="case_worker", agency_code="pmj_tak", active=True, created_at=START)
        policy = User(username="scale.policy", display_name="p", role_code="policy", active=True, created_at=START)
        session.add_all([user, policy])
        session.commit()
        worker, policy = Actor.of(user), Actor.of(policy)
        protocols.store_draft(session=session, key="deadline_only", bpmn=DEADLINE, network=network, clock=clock, actor=policy)
        protocols.publish(session=session, key="deadline_only", version=1, clock=clock, actor=policy)
        for _ in range(CASES):
            commands.start_case(session=session, protocol_key="deadline_only", data={}, actor=worker, clock=clock, network=network)

    clock.advance(timedelta(hours=24, minutes=1))
    reports, failures = [], []
    barrier = threading.Barrier(WORKERS)

    def work():
        try:
            barrier.wait()
            with factory() as session:
                reports.append(tick(session=session, clock=clock, network=network))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.monotonic() - started

    assert failures == []
    with factory() as session:
        fired_events = session.scalars(
            select(AuditEvent.case_id).where(AuditEvent.action == "case.timers_fired")
        ).all()
        escalations = session.execute(select(Escalation.work_item_id, Escalation.level)).all()
        raised_events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "escalation.raised")
        )
        items = session.scalars(select(WorkItem.deadlines_fired)).all()
        still_due = session.scalar(select(func.count()).select_from(Case).where(Case.next_timer_at.is_not(None)))

    assert len(fired_events) == CASES and len(set(fired_events)) == CASES
    assert len(escalations) == CASES
    assert len({item_id for item_id, _ in escalations}) == CASES
    assert {level for _, level in escalations} == {1}
    assert raised_events == CASES
    assert items == [1] * CASES
    assert still_due == 0
    assert sum(r.timers_fired for r in reports) == CASES
    # Both workers took part (SKIP LOCKED shares the sweep rather than serialising it).
    assert all(r.timers_fired > 0 for r in reports), [r.timers_fired for r in reports]
    print(f"{CASES} deadlines fired by {WORKERS} workers in {elapsed:.1f} s: {[r.timers_fired for r in reports]}")
