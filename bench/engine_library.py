"""Scenario 2, engine vs library: one `complete` command (lock, restore, run, sync work items,
serialise, commit) on a case with N completed tasks, against the same work done by SpiffWorkflow
alone in memory (its own restore + run + serialise of the same workflow, spec included, no
database), so that the engine's own savings (the spec stored once per version, predictions left
out, cached workflows) count for the engine rather than shrinking the yardstick.

The ratio is the cost of persistence and bookkeeping; ``growth_ratio`` is the command's cost at the
last checkpoint over the first (flat with history is 1.0). There is one case per checkpoint, and
the measured rounds go from case to case, so that the machine's changing load touches every
checkpoint alike. The state written per command is what the command wrote of the case's state:
its live part (``cases.state_json``, rewritten by every command) and the finished-task rows
(``case_finished_tasks``) that are new or changed after it, read from the database before and
after the command.
"""
from __future__ import annotations

import statistics
import time

from sqlalchemy import select

from bench.common import Bench, seed
from engine.cases import commands
from engine.cases.models import Case, CaseFinishedTask, WorkItem
from engine.cases.state import workflow_from_rows
from engine.clock import SimulatedClock
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_WORKER_ROLE
from engine.protocols import service as protocols
from engine.protocols.models import ProtocolVersion
from engine.workflow.serialization import library_restore, library_state_json
from engine.workflow.tree import live_manual_tasks

CHAIN_KEY = "bench_chain"
CHAIN_AGENCY = "spm_tak"
WARM_UP = 1


def chain_protocol(length: int) -> str:
    """A process of ``length`` user tasks one after another, all in one agency's lane, no forms."""
    nodes, flows, refs = [], [], []
    for i in range(length):
        nodes.append(f'<bpmn:userTask id="t{i}" name="งาน {i}"><bpmn:incoming>f{i}</bpmn:incoming>'
                     f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:userTask>')
        refs.append(f"<bpmn:flowNodeRef>t{i}</bpmn:flowNodeRef>")
    for i in range(length + 1):
        source = "begin" if i == 0 else f"t{i - 1}"
        target = f"t{i}" if i < length else "finish"
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{source}" targetRef="{target}"/>')
    return (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="bench_defs" targetNamespace="bench">'
        f'<bpmn:process id="{CHAIN_KEY}" name="ลำดับ งาน" isExecutable="true">'
        f'<bpmn:laneSet id="lanes"><bpmn:lane id="school" name="{CHAIN_AGENCY}">{"".join(refs)}</bpmn:lane></bpmn:laneSet>'
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
        f'{"".join(nodes)}<bpmn:endEvent id="finish"><bpmn:incoming>f{length}</bpmn:incoming></bpmn:endEvent>'
        f'{"".join(flows)}</bpmn:process></bpmn:definitions>'
    )


def publish_chain(session, *, length: int, network, clock, actor: Actor) -> ProtocolVersion:
    version, _ = protocols.store_draft(session=session, key=CHAIN_KEY, bpmn=chain_protocol(length), network=network,
                                       clock=clock, actor=actor)
    protocols.publish(session=session, key=CHAIN_KEY, version=version.version, clock=clock, actor=actor)
    session.commit()
    return version


def _complete_next(session, case_id: int, *, actor: Actor, clock, network) -> float:
    """Completes the case's open task with the `complete` command; the seconds it took."""
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open"))
    assert item is not None, "the chain ran out of tasks"
    started = time.perf_counter()
    commands.complete(session=session, work_item_id=item.id, data={"note": "x" * 60}, actor=actor, clock=clock,
                      network=network)
    return time.perf_counter() - started


def _finished_rows(session, case_id: int) -> dict[str, str]:
    rows = session.execute(
        select(CaseFinishedTask.task_id, CaseFinishedTask.task_json).where(CaseFinishedTask.case_id == case_id)
    )
    return {task_id: task_json for task_id, task_json in rows}


def _bytes_written(session, case_id: int, rows_before: dict[str, str]) -> int:
    """The live state and the finished-task rows the last command wrote (new or changed)."""
    session.expire_all()
    state = session.get(Case, case_id).state_json.encode("utf-8")
    rows = sum(len(text.encode("utf-8")) for task_id, text in _finished_rows(session, case_id).items()
               if rows_before.get(task_id) != text)
    return len(state) + rows


def run(bench: Bench) -> None:
    checkpoints = bench.scale.chain_checkpoints
    samples = bench.scale.chain_samples
    clock = SimulatedClock(bench.clock_start)
    seeded = seed(bench.url, clock)
    network = seeded.network
    try:
        with seeded.factory() as session:
            user = User(username="bench.chain", display_name="bench", role_code=CASE_WORKER_ROLE,
                        agency_code=CHAIN_AGENCY, active=True, created_at=clock.now())
            session.add(user)
            session.commit()
            actor = Actor.of(user)
            version = publish_chain(session, length=checkpoints[-1] + samples + WARM_UP + 2, network=network, clock=clock,
                                    actor=actor)
            # One case per checkpoint, brought there unmeasured; then the rounds go from case to
            # case, so that a change in the machine's load touches every checkpoint alike.
            cases: dict[int, int] = {}
            for checkpoint in checkpoints:
                case_id = commands.start_case(session=session, protocol_key=CHAIN_KEY, data={}, actor=actor,
                                              clock=clock, network=network).id
                for _ in range(checkpoint):
                    _complete_next(session, case_id, actor=actor, clock=clock, network=network)
                cases[checkpoint] = case_id
            command_times: dict[int, list[float]] = {checkpoint: [] for checkpoint in checkpoints}
            library_times: dict[int, list[float]] = {checkpoint: [] for checkpoint in checkpoints}
            state_sizes: dict[int, list[int]] = {checkpoint: [] for checkpoint in checkpoints}
            for round_ in range(WARM_UP + samples):
                for checkpoint, case_id in cases.items():
                    # The library alone: restore, run the task, serialise — on the same state, in
                    # SpiffWorkflow's own format (spec and predictions included), as a program
                    # using the library without the engine would keep it.
                    case = session.get(Case, case_id)
                    state = library_state_json(workflow_from_rows(session, case, version.spec_json))
                    rows_before = _finished_rows(session, case_id)
                    started = time.perf_counter()
                    workflow = library_restore(state)
                    task = live_manual_tasks(workflow)[0]
                    task.set_data(note="x" * 60)
                    task.run()
                    workflow.refresh_timers()
                    workflow.do_engine_steps()
                    library_state_json(workflow)
                    library = time.perf_counter() - started
                    command = _complete_next(session, case_id, actor=actor, clock=clock, network=network)
                    if round_ >= WARM_UP:
                        library_times[checkpoint].append(library)
                        command_times[checkpoint].append(command)
                        state_sizes[checkpoint].append(_bytes_written(session, case_id, rows_before))
            for checkpoint in checkpoints:
                command = statistics.median(command_times[checkpoint])
                library = statistics.median(library_times[checkpoint])
                bench.record(f"complete_command_ms_at_{checkpoint}", command * 1000)
                bench.record(f"library_ms_at_{checkpoint}", library * 1000)
                bench.record(f"engine_library_ratio_at_{checkpoint}", command / library)
                bench.record(f"state_bytes_per_command_at_{checkpoint}", int(statistics.median(state_sizes[checkpoint])))
        first, last = checkpoints[0], checkpoints[-1]
        bench.record("engine_library_ratio", bench.figures[f"engine_library_ratio_at_{last}"])
        bench.record("growth_ratio", bench.figures[f"complete_command_ms_at_{last}"] / bench.figures[f"complete_command_ms_at_{first}"])
        bench.record("state_growth_ratio",
                     bench.figures[f"state_bytes_per_command_at_{last}"] / bench.figures[f"state_bytes_per_command_at_{first}"])
    finally:
        seeded.dispose()
