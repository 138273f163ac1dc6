"""One record per child across cases: intake forms find or create it; referrals carry it."""
from __future__ import annotations

import json
from uuid import UUID

import pytest
from sqlalchemy import func, select

from engine.cases import commands
from engine.cases.models import Case, CaseLink, WorkItem
from engine.cases.queries import other_cases
from engine.cases.state import workflow_from_rows
from engine.children.models import Child, Guardian
from engine.children.service import ChildIdentity, possible_matches
from engine.errors import InvalidInput
from engine.forms.service import put_form
from engine.protocols import service as protocols
from engine.protocols.models import ProtocolVersion

INTAKE_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "รับ แจ้ง",
    "x-khumkrong-child-record": True,
    "required": ["child_first_name", "refer"],
    "properties": {
        "child_first_name": {"type": "string", "title": "ชื่อ"},
        "child_last_name": {"type": "string", "title": "นามสกุล"},
        "child_birth_date": {"type": "string", "format": "date", "title": "วันเกิด"},
        "child_national_id": {"type": "string", "format": "thai-national-id", "title": "เลขประจำตัวประชาชน"},
        "child_g_code": {"type": "string", "format": "moe-g-code", "title": "รหัส G"},
        "guardians": {"type": "array", "title": "ผู้ปกครอง", "items": {"type": "object"}},
        "refer": {"type": "boolean", "title": "ส่งต่อ"},
        "reason": {"type": "string", "title": "เหตุผล"},
        "secret_note": {"type": "string", "title": "บันทึก"},
    },
}

SENDER = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:message id="msg_help" name="refer_help"/>
  <bpmn:process id="sender" name="ส่ง ต่อ" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="school" name="spm_tak"><bpmn:flowNodeRef>intake</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="intake" name="รับ แจ้ง" camunda:formKey="test_intake"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="decide" default="f_keep"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_refer</bpmn:outgoing><bpmn:outgoing>f_keep</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="refer_out"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="legalBasis" value="legal_duty"/></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f_refer</bpmn:incoming>
      <bpmn:messageEventDefinition messageRef="msg_help"><bpmn:extensionElements>
        <spiffworkflow:messagePayload>{"reason": reason}</spiffworkflow:messagePayload>
      </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:endEvent>
    <bpmn:endEvent id="kept"><bpmn:incoming>f_keep</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="intake"/>
    <bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="decide"/>
    <bpmn:sequenceFlow id="f_refer" sourceRef="decide" targetRef="refer_out"><bpmn:conditionExpression>refer == True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_keep" sourceRef="decide" targetRef="kept"/>
  </bpmn:process>
</bpmn:definitions>"""

RECEIVER = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:message id="msg_help" name="refer_help"/>
  <bpmn:process id="receiver" name="รับส่งต่อ" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="social" name="pmj_tak"><bpmn:flowNodeRef>help</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="direct"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:startEvent id="referred"><bpmn:outgoing>f2</bpmn:outgoing><bpmn:messageEventDefinition messageRef="msg_help"/></bpmn:startEvent>
    <bpmn:exclusiveGateway id="merge"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="help" name="ช่วยเหลือ"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="helped"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="direct" targetRef="merge"/>
    <bpmn:sequenceFlow id="f2" sourceRef="referred" targetRef="merge"/>
    <bpmn:sequenceFlow id="f3" sourceRef="merge" targetRef="help"/>
    <bpmn:sequenceFlow id="f4" sourceRef="help" targetRef="helped"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def library(session, network, clock, people):
    put_form(session, key="test_intake.schema.json", schema=INTAKE_FORM, clock=clock)
    session.commit()
    for key, bpmn in (("sender", SENDER), ("receiver", RECEIVER)):
        protocols.store_draft(session=session, key=key, bpmn=bpmn, network=network, clock=clock, actor=people["policy"])
        protocols.publish(session=session, key=key, version=1, clock=clock, actor=people["policy"])


def _report(session, network, clock, people, **data):
    case = commands.start_case(session=session, protocol_key="sender", data={}, actor=people["school_worker"], clock=clock,
                              network=network, reporting_unit="school_takpit")
    intake = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=intake.id, data={"refer": False, **data}, actor=people["school_worker"], clock=clock, network=network)
    return session.get(Case, case.id)


def test_intake_creates_the_child_record_and_a_second_report_finds_it(session, network, clock, people, library):
    first = _report(session, network, clock, people, child_first_name="มะลิ", child_last_name="ใจดี",
                    child_national_id="1101700203450", child_birth_date="2011-05-01",
                    guardians=[{"name": "นาย ก", "relation": "parent", "alleged_abuser": True}])
    child = session.get(Child, first.child_id)
    assert (child.first_name, child.last_name, child.national_id, str(child.birth_date)) == ("มะลิ", "ใจดี", "1101700203450", "2011-05-01")
    [guardian] = session.scalars(select(Guardian).where(Guardian.child_id == child.id)).all()
    assert (guardian.name, guardian.relation, guardian.alleged_abuser) == ("นาย ก", "parent", True)
    assert first.reporting_unit == "school_takpit"

    # Same national ID, spelled differently: the same child.
    second = _report(session, network, clock, people, child_first_name="มะลิ์", child_national_id="1101700203450")
    assert second.child_id == child.id
    assert [c.id for c in other_cases(session=session, child_id=child.id, except_case_id=second.id)] == [first.id]
    assert session.scalar(select(func.count()).select_from(Child)) == 1


def test_a_close_name_and_birth_date_is_offered_not_merged(session, network, clock, people, library):
    first = _report(session, network, clock, people, child_first_name="สมศรี", child_last_name="มีสุข", child_birth_date="2010-02-03")
    born = session.get(Child, first.child_id).birth_date
    offers = possible_matches(session, ChildIdentity(first_name="สมศรี", last_name="มีสุก", birth_date=born))
    assert [c.id for c in offers] == [first.child_id]
    # Without confirmation a new record is made; with it, the offered record is used.
    unconfirmed = _report(session, network, clock, people, child_first_name="สมศรี", child_last_name="มีสุก", child_birth_date="2010-02-03")
    assert unconfirmed.child_id != first.child_id
    case = commands.start_case(session=session, protocol_key="sender", data={}, actor=people["school_worker"], clock=clock, network=network)
    intake = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=intake.id, child_id=first.child_id,
                     data={"refer": False, "child_first_name": "สมศรี", "child_last_name": "มีสุก", "child_birth_date": "2010-02-03"},
                     actor=people["school_worker"], clock=clock, network=network)
    assert session.get(Case, case.id).child_id == first.child_id


def test_invalid_intake_data_is_refused_per_field_and_nothing_changes(session, network, clock, people, library):
    case = commands.start_case(session=session, protocol_key="sender", data={}, actor=people["school_worker"], clock=clock, network=network)
    intake = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    with pytest.raises(InvalidInput) as refused:
        commands.complete(session=session, work_item_id=intake.id, data={"refer": "yes", "child_national_id": "1234567890123"},
                         actor=people["school_worker"], clock=clock, network=network)
    fields = [e["field"] for e in refused.value.details["errors"]]
    assert fields == ["child_first_name", "child_national_id", "refer"]
    session.expire_all()
    assert session.get(WorkItem, intake.id).state == "open"
    assert session.scalar(select(func.count()).select_from(Child)) == 0


def test_unknown_reporting_unit_is_refused(session, network, clock, people, library):
    with pytest.raises(InvalidInput) as refused:
        commands.start_case(session=session, protocol_key="sender", data={}, actor=people["school_worker"], clock=clock,
                           network=network, reporting_unit="school_nowhere")
    assert refused.value.details["field"] == "reporting_unit"


def test_a_referral_starts_a_linked_case_for_the_same_child_with_only_the_payload(session, network, clock, people, library):
    sender = _report(session, network, clock, people, refer=True, reason="สงสัยถูกทำร้าย", secret_note="ไม่ควรไปต่อ",
                     child_first_name="ดาว", child_g_code="G123456789012")
    [link] = session.scalars(select(CaseLink)).all()
    assert (link.from_case_id, link.message) == (sender.id, "refer_help")
    receiver = session.get(Case, link.to_case_id)
    assert receiver.child_id == sender.child_id and receiver.reporting_unit == "school_takpit"
    assert sender.status == "completed" and receiver.status == "active"
    [help_item] = session.scalars(select(WorkItem).where(WorkItem.case_id == receiver.id)).all()
    assert (help_item.task_name, help_item.agency_code, help_item.state) == ("help", "pmj_tak", "open")
    # Only the declared payload travels: the reason, not the school's other notes.
    spec = session.get(ProtocolVersion, receiver.protocol_version_id).spec_json
    data = workflow_from_rows(session, receiver, spec).get_task_from_id(UUID(help_item.task_id)).data
    assert data == {"reason": "สงสัยถูกทำร้าย", "referred_from": sender.reference}
    receiver_version = session.get(ProtocolVersion, receiver.protocol_version_id)
    assert json.loads(receiver_version.message_starts) == ["refer_help"]


def test_a_later_form_adds_identifiers_to_the_childs_record(session, network, clock, people, library):
    from engine.children.service import update_child_from_form

    case = _report(session, network, clock, people, child_first_name="ฝน")
    child = session.get(Child, case.child_id)
    assert child.g_code is None
    update_child_from_form(session, case=case, data={"child_g_code": "G123456789012", "child_school": "school_maesot"},
                           now=clock.now(), actor=people["school_worker"])
    session.commit()
    assert (child.g_code, child.school) == ("G123456789012", "school_maesot")
    other = _report(session, network, clock, people, child_first_name="ลม")
    with pytest.raises(InvalidInput) as taken:
        update_child_from_form(session, case=other, data={"child_g_code": "G123456789012"}, now=clock.now(), actor=people["school_worker"])
    assert taken.value.details["field"] == "child_g_code"
    with pytest.raises(InvalidInput):
        update_child_from_form(session, case=case, data={"child_g_code": "G999999999999"}, now=clock.now(), actor=people["school_worker"])


def test_identifiers_of_two_different_records_are_refused_not_a_crash(session, network, clock, people, library):
    first = _report(session, network, clock, people, child_first_name="ฟ้า", child_national_id="1101700203450")
    second = _report(session, network, clock, people, child_first_name="ดิน", child_g_code="G123456789012")
    assert first.child_id != second.child_id
    with pytest.raises(InvalidInput) as refused:
        _report(session, network, clock, people, child_first_name="ฟ้า", child_national_id="1101700203450",
                child_g_code="G123456789012")
    assert refused.value.details["field"] == "child_g_code"
    assert session.scalar(select(func.count()).select_from(Child)) == 2
