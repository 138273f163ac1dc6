"""Escalations: raised by deadlines and thrown codes, climbing the chain, stopped by people."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.models import Escalation, WorkItem
from engine.deadlines import service as escalations
from engine.deadlines.tick import tick
from engine.errors import Conflict, Forbidden, InvalidInput, InvalidState
from engine.notify.models import OutboxMessage
from engine.people.models import User
from engine.protocols import service as protocols
from tests.conftest import add_user
from tests.engine.cases.test_commands import publish_reference


@pytest.fixture
def staff(session, people):
    """People with e-mail addresses, so notifications can be checked."""
    for actor in people.values():
        session.get(User, actor.user_id).email = f"{actor.username}@example.go.th"
    session.commit()
    return {
        **people,
        "social_supervisor": _with_email(session, add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")),
        "committee": _with_email(session, add_user(session, "committee.member", "committee", None)),
        "police_supervisor": _with_email(session, add_user(session, "supervisor.police_tak", "supervisor", "police_tak")),
    }


def _with_email(session, actor):
    session.get(User, actor.user_id).email = f"{actor.username}@example.go.th"
    session.commit()
    return actor


def _late_assessment(session, network, clock, staff):
    """A reference case whose pmj_tak assessment (due in 24 h) is now 1 h late and ticked."""
    publish_reference(session, network, clock, staff["policy"])
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=staff["school_worker"], clock=clock, network=network)
    report = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=report.id, data={"severity": "high"}, actor=staff["school_worker"], clock=clock, network=network)
    assess = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "assess"))
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)
    return case, assess


def _escalations(session, case_id):
    return session.scalars(select(Escalation).where(Escalation.case_id == case_id).order_by(Escalation.id)).all()


def _audit(session, case_id, prefix="escalation."):
    return [
        (e.action, e.details.get("level"), e.occurred_at)
        for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
        if e.action.startswith(prefix)
    ]


def test_a_passed_deadline_raises_a_level_one_escalation(session, network, clock, staff):
    case, assess = _late_assessment(session, network, clock, staff)
    [escalation] = _escalations(session, case.id)
    assert (escalation.reason, escalation.level, escalation.status, escalation.source_element) == (
        "overdue", 1, "open", "assess_deadline",
    )
    assert escalation.work_item_id == assess.id and escalation.agency_code == "pmj_tak"
    assert (escalation.target_code, escalation.target_agency_code, escalation.target_role) == (
        "agency_supervisors", "pmj_tak", "supervisor",
    )
    assert escalation.raised_at == clock.now()
    assert escalation.climb_at == clock.now() + timedelta(days=1)
    session.refresh(assess)
    assert (assess.escalation_level, assess.deadlines_fired) == (1, 1)
    assert _audit(session, case.id) == [("escalation.raised", 1, clock.now())]
    # The agency's supervisors are told, and nobody else.
    recipients = session.scalars(
        select(OutboxMessage.recipient_address).where(OutboxMessage.kind == "escalation.raised")
    ).all()
    assert recipients == ["supervisor.pmj_tak@example.go.th"]


def test_unacknowledged_escalations_climb_the_chain_once_per_period(session, network, clock, staff):
    case, _ = _late_assessment(session, network, clock, staff)
    raised_at = clock.now()
    tick(session=session, clock=clock, network=network)  # nothing is due: idempotent
    assert _escalations(session, case.id)[0].level == 1

    clock.advance(timedelta(days=1, minutes=1))
    report = tick(session=session, clock=clock, network=network)
    [escalation] = _escalations(session, case.id)
    assert report.escalations_climbed == 1
    assert (escalation.level, escalation.target_code, escalation.target_agency_code) == (2, "committee_secretariat", "pmj_tak")
    assert escalation.level_changed_at == raised_at + timedelta(days=1)
    assert tick(session=session, clock=clock, network=network).escalations_climbed == 0

    clock.advance(timedelta(days=1))
    tick(session=session, clock=clock, network=network)
    session.refresh(escalation)
    assert (escalation.level, escalation.target_code, escalation.target_agency_code, escalation.target_role) == (
        3, "committee_chair_office", "provadmin_tak", "supervisor",
    )
    clock.advance(timedelta(days=1))
    tick(session=session, clock=clock, network=network)
    session.refresh(escalation)
    assert (escalation.level, escalation.target_code, escalation.target_agency_code, escalation.target_role) == (
        4, "provincial_committee", None, "committee",
    )
    assert escalation.climb_at is None  # the top of the chain
    clock.advance(timedelta(days=5))
    assert tick(session=session, clock=clock, network=network).escalations_climbed == 0
    assert [a[:2] for a in _audit(session, case.id)] == [
        ("escalation.raised", 1), ("escalation.climbed", 2), ("escalation.climbed", 3), ("escalation.climbed", 4),
    ]
    committee_mail = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "escalation.climbed", OutboxMessage.recipient_id == staff["committee"].user_id)
    ).all()
    assert len(committee_mail) == 1


def test_a_worker_that_was_down_climbs_every_missed_level_at_its_due_time(session, network, clock, staff):
    case, _ = _late_assessment(session, network, clock, staff)
    raised_at = clock.now()
    clock.advance(timedelta(days=5))
    assert tick(session=session, clock=clock, network=network).escalations_climbed == 3
    assert _audit(session, case.id) == [
        ("escalation.raised", 1, raised_at),
        ("escalation.climbed", 2, raised_at + timedelta(days=1)),
        ("escalation.climbed", 3, raised_at + timedelta(days=2)),
        ("escalation.climbed", 4, raised_at + timedelta(days=3)),
    ]


def test_acknowledging_stops_the_climb(session, network, clock, staff):
    case, _ = _late_assessment(session, network, clock, staff)
    [escalation] = _escalations(session, case.id)

    with pytest.raises(Forbidden):
        escalations.acknowledge(session=session, escalation_id=escalation.id, note="seen", actor=staff["police_worker"], clock=clock)
    with pytest.raises(InvalidInput) as missing_note:
        escalations.acknowledge(session=session, escalation_id=escalation.id, note="  ", actor=staff["social_supervisor"], clock=clock)
    assert missing_note.value.details["field"] == "note"

    clock.advance(timedelta(hours=2))
    done = escalations.acknowledge(
        session=session, escalation_id=escalation.id, note="โทรหา ผู้ปฏิบัติงาน แล้ว", actor=staff["social_supervisor"], clock=clock,
    )
    assert (done.status, done.acknowledged_by_id, done.climb_at) == ("acknowledged", staff["social_supervisor"].user_id, None)
    with pytest.raises(InvalidState):
        escalations.acknowledge(session=session, escalation_id=escalation.id, note="again", actor=staff["social_supervisor"], clock=clock)

    clock.advance(timedelta(days=3))
    assert tick(session=session, clock=clock, network=network).escalations_climbed == 0
    assert session.get(Escalation, escalation.id).level == 1

    resolved = escalations.resolve(session=session, escalation_id=escalation.id, note="ประเมิน เสร็จ แล้ว", actor=staff["committee"], clock=clock)
    assert resolved.status == "resolved" and resolved.resolved_by_id == staff["committee"].user_id
    with pytest.raises(InvalidState):
        escalations.resolve(session=session, escalation_id=escalation.id, note="again", actor=staff["committee"], clock=clock)
    assert [a[0] for a in _audit(session, case.id)] == ["escalation.raised", "escalation.acknowledged", "escalation.resolved"]


def test_a_second_deadline_on_the_same_task_raises_level_two(session, network, clock, staff):
    two_deadlines = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="two_deadlines" name="สอง กำหนด" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="police" name="police_tak">
      <bpmn:flowNodeRef>question</bpmn:flowNodeRef><bpmn:flowNodeRef>soft</bpmn:flowNodeRef><bpmn:flowNodeRef>hard</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="question" name="ซักถามเด็ก"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="soft" attachedToRef="question" cancelActivity="false"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT6H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="hard" attachedToRef="question" cancelActivity="false"><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT12H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="soft_end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="hard_end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="question"/>
    <bpmn:sequenceFlow id="f2" sourceRef="question" targetRef="done"/>
    <bpmn:sequenceFlow id="f3" sourceRef="soft" targetRef="soft_end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="hard" targetRef="hard_end"/>
  </bpmn:process>
</bpmn:definitions>"""
    version, _ = protocols.store_draft(session=session, key="two_deadlines", bpmn=two_deadlines, network=network, clock=clock, actor=staff["policy"])
    protocols.publish(session=session, key="two_deadlines", version=1, clock=clock, actor=staff["policy"])
    case = commands.start_case(session=session, protocol_key="two_deadlines", data={}, actor=staff["police_worker"], clock=clock, network=network)
    clock.advance(timedelta(hours=6, minutes=1))
    tick(session=session, clock=clock, network=network)
    clock.advance(timedelta(hours=6))
    tick(session=session, clock=clock, network=network)
    rows = _escalations(session, case.id)
    assert [(e.level, e.source_element, e.target_code) for e in rows] == [
        (1, "soft", "agency_supervisors"), (2, "hard", "committee_secretariat"),
    ]
    assert rows[0].target_agency_code == "police_tak" and rows[1].target_agency_code == "pmj_tak"
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assert (item.deadlines_fired, item.escalation_level) == (2, 2)


THROWS = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:escalation id="esc_danger" name="อันตราย" escalationCode="{code}"/>
  <bpmn:process id="throws" name="ส่ง เรื่อง ขึ้น" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="police" name="police_tak">
      <bpmn:flowNodeRef>find</bpmn:flowNodeRef><bpmn:flowNodeRef>alarm</bpmn:flowNodeRef><bpmn:flowNodeRef>follow</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="find" name="ตรวจ พบ เหตุ"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:intermediateThrowEvent id="alarm" name="แจ้ง ระดับ จังหวัด"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:escalationEventDefinition escalationRef="esc_danger"/></bpmn:intermediateThrowEvent>
    <bpmn:userTask id="follow" name="ติดตาม"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="find"/>
    <bpmn:sequenceFlow id="f2" sourceRef="find" targetRef="alarm"/>
    <bpmn:sequenceFlow id="f3" sourceRef="alarm" targetRef="follow"/>
    <bpmn:sequenceFlow id="f4" sourceRef="follow" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_thrown_escalation_code_goes_to_its_mapped_target(session, network, clock, staff):
    protocols.store_draft(session=session, key="throws", bpmn=THROWS.format(code="child_in_danger"), network=network, clock=clock, actor=staff["policy"])
    protocols.publish(session=session, key="throws", version=1, clock=clock, actor=staff["policy"])
    case = commands.start_case(session=session, protocol_key="throws", data={}, actor=staff["police_worker"], clock=clock, network=network)
    find = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=find.id, data={}, actor=staff["police_worker"], clock=clock, network=network)

    [escalation] = _escalations(session, case.id)
    assert (escalation.reason, escalation.code, escalation.source_element, escalation.level) == (
        "thrown", "child_in_danger", "alarm", 1,
    )
    assert (escalation.agency_code, escalation.work_item_id) == ("police_tak", find.id)
    assert (escalation.target_code, escalation.target_agency_code) == ("committee_secretariat", "pmj_tak")
    # The process carries on: the escalation is a record, not a stop.
    assert session.scalar(select(WorkItem.task_name).where(WorkItem.case_id == case.id, WorkItem.state == "open")) == "follow"
    # Its chain continues from the mapped target: next stop, the committee.
    clock.advance(timedelta(days=1, minutes=1))
    tick(session=session, clock=clock, network=network)
    session.refresh(escalation)
    assert (escalation.level, escalation.target_code) == (2, "committee_chair_office")


def test_reassigning_is_a_supervisors_right(session, network, clock, staff):
    publish_reference(session, network, clock, staff["policy"])
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=staff["school_worker"], clock=clock, network=network)
    report = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))

    with pytest.raises(Forbidden):
        assignment.reassign(session=session, work_item_id=report.id, assignee_id=staff["school_worker_2"].user_id, actor=staff["school_worker"], clock=clock)
    with pytest.raises(Forbidden):
        assignment.reassign(session=session, work_item_id=report.id, assignee_id=staff["school_worker_2"].user_id, actor=staff["social_supervisor"], clock=clock)
    with pytest.raises(InvalidInput) as wrong_agency:
        assignment.reassign(session=session, work_item_id=report.id, assignee_id=staff["social_worker"].user_id, actor=staff["school_supervisor"], clock=clock)
    assert wrong_agency.value.details["field"] == "assignee_id"

    moved = assignment.reassign(session=session, work_item_id=report.id, assignee_id=staff["school_worker_2"].user_id, actor=staff["school_supervisor"], clock=clock)
    assert (moved.state, moved.assignee_id) == ("claimed", staff["school_worker_2"].user_id)
    with pytest.raises(Conflict):
        commands.complete(session=session, work_item_id=report.id, data={"severity": "low"}, actor=staff["school_worker"], clock=clock, network=network)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "work_item.assigned")).all()
    assert [m.recipient_id for m in mail] == [staff["school_worker_2"].user_id]
    assert case.reference in mail[0].subject + mail[0].body_text
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "work_item.reassigned"))
    assert audit.details == {"from_user": None, "to_user": staff["school_worker_2"].user_id}


def test_new_work_tells_the_agency_queue(session, network, clock, staff):
    publish_reference(session, network, clock, staff["policy"])
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=staff["school_worker"], clock=clock, network=network)
    new_work = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "work_item.new").order_by(OutboxMessage.id)).all()
    # report is for case workers of spm_tak (candidateGroups="case_worker").
    assert sorted(m.recipient_address for m in new_work) == ["worker.spm_tak@example.go.th", "worker2.spm_tak@example.go.th"]
    assert all(m.case_id == case.id for m in new_work)


LIMIT_THROWS = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:escalation id="esc_limit" name="เกินกำหนดตามกฎหมาย" escalationCode="statutory_limit"/>
  <bpmn:process id="limit_throws" name="เกินกำหนดกักตัว" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="pmj" name="pmj_tak">
      <bpmn:flowNodeRef>separate</bpmn:flowNodeRef><bpmn:flowNodeRef>question</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>limit</bpmn:flowNodeRef><bpmn:flowNodeRef>overrun</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="separate" name="แยกตัวเด็ก"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="question" name="ซักถามเด็ก"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="limit" attachedToRef="question" cancelActivity="false"><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT12H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="overrun"><bpmn:incoming>f4</bpmn:incoming><bpmn:escalationEventDefinition escalationRef="esc_limit"/></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="separate"/>
    <bpmn:sequenceFlow id="f2" sourceRef="separate" targetRef="question"/>
    <bpmn:sequenceFlow id="f3" sourceRef="question" targetRef="done"/>
    <bpmn:sequenceFlow id="f4" sourceRef="limit" targetRef="overrun"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_an_escalation_thrown_on_a_deadlines_path_belongs_to_the_late_task(session, network, clock, staff):
    # As P1's s.30(2) limit: the overrun of the questioning is about the questioning, not about
    # the separation the token passed before it.
    protocols.store_draft(session=session, key="limit_throws", bpmn=LIMIT_THROWS, network=network, clock=clock, actor=staff["policy"])
    protocols.publish(session=session, key="limit_throws", version=1, clock=clock, actor=staff["policy"])
    case = commands.start_case(session=session, protocol_key="limit_throws", data={}, actor=staff["social_worker"], clock=clock, network=network)
    separate = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=separate.id, data={}, actor=staff["social_worker"], clock=clock, network=network)
    question = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "question"))
    clock.advance(timedelta(hours=12, minutes=1))
    tick(session=session, clock=clock, network=network)
    thrown = [e for e in _escalations(session, case.id) if e.reason == "thrown"]
    assert [(e.code, e.source_element, e.work_item_id) for e in thrown] == [("statutory_limit", "overrun", question.id)]
    session.refresh(separate)
    assert separate.escalation_level == 0  # the finished separation is not marked late
