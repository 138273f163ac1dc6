"""A referral records the legal basis of its disclosure: on the case link, in the audit event,
and through a restriction that held it; where the basis is consent, who consented."""
from __future__ import annotations

from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.links import case_links
from engine.cases.models import CaseLink, WorkItem
from engine.cases.restrictions import HeldReferral
from engine.cases.stepping import restore
from engine.privacy.restriction import lift_restriction, restrict_case
from engine.protocols import service as protocols
from engine.workflow.running import task_data
from tests.conftest import add_user

SP = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _sender(basis: str, consented_by: str | None) -> str:
    consent = f'<spiffworkflow:property name="consentedBy" value="{consented_by}"/>' if consented_by else ""
    return f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="{SP}"
  id="d" targetNamespace="t">
  <bpmn:message id="msg_refer" name="refer_care"/>
  <bpmn:process id="refers" name="ส่งต่อ" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="school" name="spm_tak"><bpmn:flowNodeRef>sign</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="sign" name="ลงนามส่งต่อ"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:intermediateThrowEvent id="refer_out">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="legalBasis" value="{basis}"/>{consent}
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="msg_refer"><bpmn:extensionElements>
        <spiffworkflow:messagePayload>{{"reason": referral_reason}}</spiffworkflow:messagePayload>
      </bpmn:extensionElements></bpmn:messageEventDefinition>
    </bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="sign"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="refer_out"/>
    <bpmn:sequenceFlow id="f3" sourceRef="refer_out" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>"""


RECEIVER = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:message id="msg_refer" name="refer_care"/>
  <bpmn:process id="cares" name="ดูแล" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="social" name="pmj_tak"><bpmn:flowNodeRef>care</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="referred"><bpmn:outgoing>f1</bpmn:outgoing><bpmn:messageEventDefinition messageRef="msg_refer"/></bpmn:startEvent>
    <bpmn:userTask id="care" name="ดูแล"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="cared"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="referred" targetRef="care"/>
    <bpmn:sequenceFlow id="f2" sourceRef="care" targetRef="cared"/>
  </bpmn:process>
</bpmn:definitions>"""

SIGNED = {
    "referral_reason": "ต้องได้รับการประเมินความพิการ", "consent_given_by": "นางสมศรี ใจดี (มารดา)",
    "child_first_name": "มะลิ", "age": 9,
}


def _publish(session, network, clock, actor, sender: str) -> None:
    for key, bpmn in (("refers", sender), ("cares", RECEIVER)):
        protocols.store_draft(session=session, key=key, bpmn=bpmn, network=network, clock=clock, actor=actor)
        protocols.publish(session=session, key=key, version=1, clock=clock, actor=actor)


def _refer(session, network, clock, people):
    case = commands.start_case(session=session, protocol_key="refers", data={}, actor=people["school_worker"], clock=clock,
                               network=network)
    sign = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=sign.id, data=SIGNED, actor=people["school_worker"], clock=clock,
                      network=network)
    return case


def test_a_consent_referral_records_its_basis_and_who_consented(session, network, clock, people):
    _publish(session, network, clock, people["policy"], _sender("consent", "consent_given_by"))
    case = _refer(session, network, clock, people)

    link = session.scalar(select(CaseLink).where(CaseLink.from_case_id == case.id))
    assert (link.message, link.legal_basis, link.consented_by) == ("refer_care", "consent", "นางสมศรี ใจดี (มารดา)")
    [linked] = case_links(session=session, case_id=case.id)
    assert (linked.relation, linked.legal_basis) == ("referred_to", "consent")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case.referred"))
    assert event.details["legal_basis"] == "consent" and event.details["consent_recorded"] is True
    # The trail names no one: who consented stays on the link.
    assert "สมศรี" not in str(event.details) and "มะลิ" not in str(event.details)

    # The referred case holds the payload and the link back, not the sender's names or age.
    referred = session.get(type(case), link.to_case_id)
    care = session.scalar(select(WorkItem).where(WorkItem.case_id == referred.id))
    data = task_data(restore(session=session, case=referred), care.task_id)
    assert data == {"reason": "ต้องได้รับการประเมินความพิการ", "referred_from": case.reference}


def test_a_basis_other_than_consent_records_no_consenter(session, network, clock, people):
    _publish(session, network, clock, people["policy"], _sender("legal_duty", None))
    case = _refer(session, network, clock, people)
    link = session.scalar(select(CaseLink).where(CaseLink.from_case_id == case.id))
    assert (link.legal_basis, link.consented_by) == ("legal_duty", None)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case.referred"))
    assert (event.details["legal_basis"], event.details["consent_recorded"]) == ("legal_duty", False)


def test_a_referral_held_by_a_restriction_keeps_its_basis_until_released(session, network, clock, people):
    _publish(session, network, clock, people["policy"], _sender("consent", "consent_given_by"))
    committee = add_user(session, "committee", "committee", None)
    case = commands.start_case(session=session, protocol_key="refers", data={}, actor=people["school_worker"], clock=clock,
                               network=network)
    restrict_case(session=session, actor=committee, case_id=case.id, reason="เจ้าของข้อมูลขอให้ระงับการใช้",
                  now=clock.now())
    sign = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    commands.complete(session=session, work_item_id=sign.id, data=SIGNED, actor=people["school_worker"], clock=clock,
                      network=network)
    held = session.scalar(select(HeldReferral).where(HeldReferral.case_id == case.id))
    assert (held.legal_basis, held.consented_by) == ("consent", "นางสมศรี ใจดี (มารดา)")
    assert session.scalar(select(CaseLink).where(CaseLink.from_case_id == case.id)) is None

    lift_restriction(session=session, actor=committee, case_id=case.id, note="ตรวจสอบแล้ว", clock=clock, network=network)
    link = session.scalar(select(CaseLink).where(CaseLink.from_case_id == case.id))
    assert (link.legal_basis, link.consented_by) == ("consent", "นางสมศรี ใจดี (มารดา)")


def test_camunda_modelers_properties_state_the_basis_too(session, network, clock, people):
    camunda = (
        _sender("vital_interest", None)
        .replace('xmlns:spiffworkflow=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:spiffworkflow=')
        .replace("<spiffworkflow:properties>", "<camunda:properties>")
        .replace("</spiffworkflow:properties>", "</camunda:properties>")
        .replace('<spiffworkflow:property name="legalBasis"', '<camunda:property name="legalBasis"')
    )
    assert "camunda:property" in camunda and "spiffworkflow:property " not in camunda
    _publish(session, network, clock, people["policy"], camunda)
    case = _refer(session, network, clock, people)
    link = session.scalar(select(CaseLink).where(CaseLink.from_case_id == case.id))
    assert (link.legal_basis, link.consented_by) == ("vital_interest", None)
