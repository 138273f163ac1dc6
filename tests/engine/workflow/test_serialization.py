"""A case's stored state excludes the spec and grows with the case, not with the protocol."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.cases.state import finished_rows, workflow_from_rows
from engine.protocols import service as protocols


def sized_protocol(chain_length: int) -> str:
    """A protocol whose optional branch is a chain of `chain_length` user tasks."""
    tasks, refs = [], []
    for i in range(chain_length):
        target = f"extra_{i + 1}" if i + 1 < chain_length else "end_extra"
        tasks.append(
            f'<bpmn:userTask id="extra_{i}" name="งาน ที่ {i}"><bpmn:incoming>e{i}</bpmn:incoming>'
            f'<bpmn:outgoing>e{i + 1}</bpmn:outgoing></bpmn:userTask>'
            f'<bpmn:sequenceFlow id="e{i + 1}" sourceRef="extra_{i}" targetRef="{target}"/>'
        )
        refs.append(f"<bpmn:flowNodeRef>extra_{i}</bpmn:flowNodeRef>")
    return f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="sized_defs" targetNamespace="t">
  <bpmn:process id="sized" name="ขนาด" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="school" name="spm_tak">
      <bpmn:flowNodeRef>report</bpmn:flowNodeRef><bpmn:flowNodeRef>other</bpmn:flowNodeRef>{''.join(refs)}
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="report"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="choose" default="f_other">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>e0</bpmn:outgoing><bpmn:outgoing>f_other</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="report"/>
    <bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="choose"/>
    <bpmn:sequenceFlow id="e0" sourceRef="choose" targetRef="extra_0"><bpmn:conditionExpression>long_path == True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_other" sourceRef="choose" targetRef="other"/>
    <bpmn:userTask id="other"><bpmn:incoming>f_other</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f_end" sourceRef="other" targetRef="end_other"/>
    <bpmn:endEvent id="end_other"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    {''.join(tasks)}
    <bpmn:endEvent id="end_extra"><bpmn:incoming>e{chain_length}</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def _publish(session, network, clock, actor, key, chain_length):
    version, _ = protocols.store_draft(session=session, key=key, bpmn=sized_protocol(chain_length), network=network, clock=clock, actor=actor)
    protocols.publish(session=session, key=key, version=version.version, clock=clock, actor=actor)
    return version


def _open_item(session, case_id):
    return session.scalar(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open"))


def _case_after_gateway(session, network, clock, people, key, long_path):
    case = commands.start_case(session=session, protocol_key=key, data={}, actor=people["school_worker"], clock=clock, network=network)
    commands.complete(session=session, work_item_id=_open_item(session, case.id).id, data={"long_path": long_path}, actor=people["school_worker"], clock=clock, network=network)
    return session.get(Case, case.id)


def test_state_excludes_the_spec(session, network, clock, people):
    _publish(session, network, clock, people["policy"], "sized", 3)
    case = _case_after_gateway(session, network, clock, people, "sized", False)
    state = json.loads(case.state_json)
    assert "spec" not in state and "subprocess_specs" not in state
    assert "tasks" in state and state["serializer_version"] == "1.5"


def test_state_size_does_not_follow_protocol_size(session, network, clock, people):
    small = _publish(session, network, clock, people["policy"], "small", 1)
    # 290 tasks: as large as the network's max_flow_nodes (300) lets a protocol be.
    large = _publish(session, network, clock, people["policy"], "large", 290)
    assert len(large.spec_json) > 20 * len(small.spec_json)

    small_case = _case_after_gateway(session, network, clock, people, "small", False)
    large_case = _case_after_gateway(session, network, clock, people, "large", False)
    # Same history, same size, although one protocol is thirty times larger.
    assert abs(len(large_case.state_json) - len(small_case.state_json)) <= 0.05 * len(small_case.state_json)
    assert len(large_case.state_json) < len(large.spec_json) / 20


def test_state_grows_with_the_case_history(session, network, clock, people):
    _publish(session, network, clock, people["policy"], "chain", 60)
    case = _case_after_gateway(session, network, clock, people, "chain", True)
    sizes, live_sizes = {}, {}
    for done in range(1, 51):
        commands.complete(session=session, work_item_id=_open_item(session, case.id).id, data={f"note_{done}": "บันทึก" * 200}, actor=people["school_worker"], clock=clock, network=network)
        if done in (10, 50):
            state_json = session.get(Case, case.id).state_json
            live_sizes[done] = len(state_json)
            sizes[done] = len(state_json) + sum(len(row.task_json) for row in finished_rows(session, case.id))
    # Each completion stores its 1,200-character note once (as a delta, not a copy per task):
    # 40 more completions add about 40 notes' worth of state, all of it in finished-task rows.
    note_size = len(json.dumps("บันทึก" * 200, ensure_ascii=False))
    growth = sizes[50] - sizes[10]
    assert 40 * note_size <= growth <= 40 * note_size * 1.5
    # The live part (rewritten by every command) does not grow with the history.
    assert live_sizes[50] - live_sizes[10] < note_size


def test_restored_cases_evaluate_with_the_expression_only_engine(session, network, clock, people, tmp_path):
    """Defence in depth: even a spec that slipped past upload checks cannot run code, because
    every restored workflow gets the expression-only engine back (it is not serialised)."""
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from engine.errors import WorkflowFailure
    from engine.protocols.models import ProtocolVersion
    from engine.protocols.parsing import UserTaskDescriptor
    from engine.workflow.expressions import SCRIPT_ENGINE
    from engine.workflow.serialization import spec_json_of

    marker = tmp_path / "pwned"
    hostile = sized_protocol(1).replace("long_path == True", f"__import__('os').system('touch {marker}') == 0")
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(hostile.encode())
    descriptor = UserTaskDescriptor("report", "report", "spm_tak", "spm_tak", None, None, None, None)
    version = ProtocolVersion(
        key="smuggled", version=1, name="smuggled", process_id="sized", bpmn_text=hostile,
        content_hash="0" * 64, spec_json=spec_json_of(parser.get_spec("sized"), {}),
        tasks_json=json.dumps({"report": descriptor.__dict__}), published=True, created_at=clock.now(),
    )
    session.add(version)
    session.commit()

    case = commands.start_case(session=session, protocol_key="smuggled", data={}, actor=people["school_worker"], clock=clock, network=network)
    assert workflow_from_rows(session, case, version.spec_json).script_engine is SCRIPT_ENGINE
    with pytest.raises(WorkflowFailure, match="__import__"):
        commands.complete(session=session, work_item_id=_open_item(session, case.id).id, data={}, actor=people["school_worker"], clock=clock, network=network)
    assert not marker.exists()
