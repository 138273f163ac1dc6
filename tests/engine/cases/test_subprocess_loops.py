"""Repetition the recommended way: a looping subprocess, whose tasks take its lane."""
from __future__ import annotations

from sqlalchemy import select

from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.protocols import service as protocols
from engine.protocols.parsing import parse_protocol

HOME_VISITS = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="visits_defs" targetNamespace="t">
  <bpmn:process id="home_visits" name="เยี่ยมบ้านซ้ำ" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <!-- Only the subprocess is listed: the task inside it belongs to the same agency. -->
      <bpmn:lane id="social" name="pmj_tak"><bpmn:flowNodeRef>visits</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>to_visits</bpmn:outgoing></bpmn:startEvent>
    <bpmn:subProcess id="visits" name="เยี่ยมบ้านจนกว่าจะปลอดภัย">
      <bpmn:incoming>to_visits</bpmn:incoming><bpmn:outgoing>to_finish</bpmn:outgoing>
      <bpmn:standardLoopCharacteristics><bpmn:loopCondition>keep_visiting == True</bpmn:loopCondition></bpmn:standardLoopCharacteristics>
      <bpmn:startEvent id="visit_begin"><bpmn:outgoing>to_visit</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="visit" name="เยี่ยมบ้าน"><bpmn:incoming>to_visit</bpmn:incoming><bpmn:outgoing>to_visit_end</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="visit_end"><bpmn:incoming>to_visit_end</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="to_visit" sourceRef="visit_begin" targetRef="visit"/>
      <bpmn:sequenceFlow id="to_visit_end" sourceRef="visit" targetRef="visit_end"/>
    </bpmn:subProcess>
    <bpmn:endEvent id="finish"><bpmn:incoming>to_finish</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_visits" sourceRef="begin" targetRef="visits"/>
    <bpmn:sequenceFlow id="to_finish" sourceRef="visits" targetRef="finish"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_task_inside_a_subprocess_takes_the_subprocess_lane(network):
    parsed = parse_protocol(HOME_VISITS, network=network)
    assert parsed.findings == []
    assert (parsed.user_tasks["visit"].agency_code, parsed.user_tasks["visit"].lane) == ("pmj_tak", "pmj_tak")


def test_looping_subprocess_repeats_without_deepening_the_case(session, network, clock, people):
    version, _ = protocols.store_draft(session=session, key="home_visits", bpmn=HOME_VISITS, network=network, clock=clock, actor=people["policy"])
    protocols.publish(session=session, key="home_visits", version=version.version, clock=clock, actor=people["policy"])
    case = commands.start_case(session=session, protocol_key="home_visits", data={}, actor=people["social_worker"], clock=clock, network=network)

    depths = []
    for visit in range(12):
        open_visits = session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state == "open")).all()
        assert [(i.task_name, i.agency_code) for i in open_visits] == [("visit", "pmj_tak")]
        commands.complete(
            session=session, work_item_id=open_visits[0].id, data={"keep_visiting": visit < 11},
            actor=people["social_worker"], clock=clock, network=network,
        )
        depths.append(session.get(Case, case.id).max_task_depth)

    case = session.get(Case, case.id)
    assert case.status == "completed"
    visits = session.scalars(select(WorkItem.state).where(WorkItem.case_id == case.id)).all()
    assert visits == ["completed"] * 12
    # Each pass is a new subprocess instance, so the tree stays shallow.
    assert max(depths) == depths[0] < 20
