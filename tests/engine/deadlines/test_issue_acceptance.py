"""Acceptance for deadlines and escalation, end to end on one protocol:

a work item due in business_days(3), created on the Friday before a Thai public holiday, gets
the right due date; once it passes, a level-1 escalation targets the agency's supervisors; left
unacknowledged for the configured period it climbs to level 2; acknowledging stops the climb.
Every step is in the audit table.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, Escalation, WorkItem
from engine.clock import SimulatedClock
from engine.deadlines import service as escalations
from engine.deadlines.tick import tick
from engine.protocols import service as protocols
from tests.conftest import add_user

TAK = timezone(timedelta(hours=7))
FRIDAY_BEFORE_HOLIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=TAK)  # Sat 5 and Mon 7 (in lieu) are holidays
DUE = datetime(2026, 12, 11, 10, 0, tzinfo=TAK)  # Thu 10, Constitution Day, does not count either

VISIT = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="home_visit" name="เยี่ยม บ้าน ภายใน สาม วันทำการ" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="social" name="pmj_tak">
      <bpmn:flowNodeRef>visit</bpmn:flowNodeRef><bpmn:flowNodeRef>visit_late</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="visit" name="เยี่ยม บ้าน เด็ก"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="visit_late" name="เกิน สาม วันทำการ" attachedToRef="visit" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>business_days(3)</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="visited"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="late_noted"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="visit"/>
    <bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="visited"/>
    <bpmn:sequenceFlow id="f3" sourceRef="visit_late" targetRef="late_noted"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_business_day_deadline_escalates_climbs_and_stops_when_acknowledged(session, network, people):
    clock = SimulatedClock(FRIDAY_BEFORE_HOLIDAY)
    supervisor = add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")
    protocols.store_draft(session=session, key="home_visit", bpmn=VISIT, network=network, clock=clock, actor=people["policy"])
    protocols.publish(session=session, key="home_visit", version=1, clock=clock, actor=people["policy"])
    case = commands.start_case(session=session, protocol_key="home_visit", data={}, actor=people["social_worker"], clock=clock, network=network)

    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assert item.due_at == DUE
    assert session.get(Case, case.id).next_timer_at == DUE

    clock.set(DUE - timedelta(minutes=1))
    tick(session=session, clock=clock, network=network)
    assert session.scalars(select(Escalation)).all() == []

    clock.set(DUE + timedelta(minutes=1))
    tick(session=session, clock=clock, network=network)
    [escalation] = session.scalars(select(Escalation)).all()
    assert (escalation.level, escalation.reason, escalation.work_item_id) == (1, "overdue", item.id)
    assert (escalation.target_code, escalation.target_agency_code, escalation.target_role) == (
        "agency_supervisors", "pmj_tak", "supervisor",
    )
    raised_at = clock.now()
    climb_period = network.climb_after("pmj_tak", at=raised_at)
    assert escalation.climb_at == raised_at + climb_period

    clock.set(raised_at + climb_period - timedelta(minutes=1))
    assert tick(session=session, clock=clock, network=network).escalations_climbed == 0
    clock.set(raised_at + climb_period + timedelta(minutes=1))
    assert tick(session=session, clock=clock, network=network).escalations_climbed == 1
    session.refresh(escalation)
    assert (escalation.level, escalation.target_code) == (2, "committee_secretariat")

    escalations.acknowledge(
        session=session, escalation_id=escalation.id, note="รับทราบ จะ ลง พื้นที่ พรุ่งนี้", actor=supervisor, clock=clock,
    )
    clock.advance(timedelta(days=10))
    assert tick(session=session, clock=clock, network=network).escalations_climbed == 0
    session.refresh(escalation)
    assert (escalation.level, escalation.status) == (2, "acknowledged")

    trail = [
        (e.action, e.occurred_at, e.details.get("level"))
        for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
    ]
    assert trail == [
        ("case.started", FRIDAY_BEFORE_HOLIDAY, None),
        ("work_item.created", FRIDAY_BEFORE_HOLIDAY, None),
        ("case.timers_fired", raised_at, None),
        ("escalation.raised", raised_at, 1),
        ("escalation.climbed", raised_at + climb_period, 2),
        ("escalation.acknowledged", raised_at + climb_period + timedelta(minutes=1), 2),
    ]
