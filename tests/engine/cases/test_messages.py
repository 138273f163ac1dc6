"""Messages between cases: a referral starts a linked case; a reply reaches the case that waits."""
from __future__ import annotations

from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.links import linked_cases
from engine.cases.models import Case, WorkItem
from engine.protocols import service as protocols

ASKS = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:message id="msg_ask" name="ask_help"/>
  <bpmn:message id="msg_done" name="help_done"/>
  <bpmn:process id="asks" name="ขอ ความ ช่วยเหลือ" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="school" name="spm_tak">
      <bpmn:flowNodeRef>prepare</bpmn:flowNodeRef><bpmn:flowNodeRef>close</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="prepare" name="เตรียม เรื่อง"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:intermediateThrowEvent id="ask"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="legalBasis" value="public_task"/></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="msg_ask"/></bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="wait_reply"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="msg_done"/></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="close" name="ปิด เรื่อง"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="closed"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="prepare"/>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="ask"/>
    <bpmn:sequenceFlow id="f3" sourceRef="ask" targetRef="wait_reply"/>
    <bpmn:sequenceFlow id="f4" sourceRef="wait_reply" targetRef="close"/>
    <bpmn:sequenceFlow id="f5" sourceRef="close" targetRef="closed"/>
  </bpmn:process>
</bpmn:definitions>"""

HELPS = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:message id="msg_ask" name="ask_help"/>
  <bpmn:message id="msg_done" name="help_done"/>
  <bpmn:process id="helps" name="ให้ ความ ช่วยเหลือ" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="social" name="pmj_tak"><bpmn:flowNodeRef>help</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="asked"><bpmn:outgoing>f1</bpmn:outgoing><bpmn:messageEventDefinition messageRef="msg_ask"/></bpmn:startEvent>
    <bpmn:userTask id="help" name="ช่วยเหลือ"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="reply"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="legalBasis" value="public_task"/></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:messageEventDefinition messageRef="msg_done"/></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="asked" targetRef="help"/>
    <bpmn:sequenceFlow id="f2" sourceRef="help" targetRef="reply"/>
  </bpmn:process>
</bpmn:definitions>"""


def _open(session, case_id):
    return session.scalars(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")).all()


def _publish(session, network, clock, actor):
    for key, bpmn in (("asks", ASKS), ("helps", HELPS)):
        protocols.store_draft(session=session, key=key, bpmn=bpmn, network=network, clock=clock, actor=actor)
        protocols.publish(session=session, key=key, version=1, clock=clock, actor=actor)


def test_the_reply_of_a_referred_case_reaches_the_case_that_waits_for_it(session, network, clock, people):
    _publish(session, network, clock, people["policy"])
    asking = commands.start_case(session=session, protocol_key="asks", data={}, actor=people["school_worker"], clock=clock, network=network)
    [prepare] = _open(session, asking.id)
    commands.complete(session=session, work_item_id=prepare.id, data={}, actor=people["school_worker"], clock=clock, network=network)

    [helping] = linked_cases(session=session, case_id=asking.id)
    assert _open(session, asking.id) == []  # waiting for the reply
    [help_item] = _open(session, helping.id)
    assert (help_item.task_name, help_item.agency_code) == ("help", "pmj_tak")

    commands.complete(session=session, work_item_id=help_item.id, data={}, actor=people["social_worker"], clock=clock, network=network)
    assert session.get(Case, helping.id).status == "completed"
    [close] = _open(session, asking.id)
    assert close.task_name == "close"
    received = session.scalar(select(AuditEvent).where(AuditEvent.action == "case.message_received"))
    assert (received.case_id, received.details["message"], received.details["from_case"]) == (asking.id, "help_done", helping.reference)
    # The reply is a disclosure too: its basis is in the sender's audit event.
    sent = session.scalar(select(AuditEvent).where(AuditEvent.action == "case.message_sent"))
    assert (sent.case_id, sent.details["legal_basis"]) == (helping.id, "public_task")


def test_a_reply_goes_only_to_the_linked_case(session, network, clock, people):
    _publish(session, network, clock, people["policy"])
    first = commands.start_case(session=session, protocol_key="asks", data={}, actor=people["school_worker"], clock=clock, network=network)
    second = commands.start_case(session=session, protocol_key="asks", data={}, actor=people["school_worker"], clock=clock, network=network)
    for case in (first, second):
        [prepare] = _open(session, case.id)
        commands.complete(session=session, work_item_id=prepare.id, data={}, actor=people["school_worker"], clock=clock, network=network)
    [helping_first] = linked_cases(session=session, case_id=first.id)
    [help_item] = _open(session, helping_first.id)
    commands.complete(session=session, work_item_id=help_item.id, data={}, actor=people["social_worker"], clock=clock, network=network)
    assert [i.task_name for i in _open(session, first.id)] == ["close"]
    assert _open(session, second.id) == []  # still waiting for its own helper

