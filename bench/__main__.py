"""`make bench`: engine command costs, reported as ratios measured in one run, and page speed.

`python -m bench [complete_task] [pages]` runs the scenarios named (all of them by default).

pages — each main page's p50/p95 at demo scale on SQLite (bench/pages.py).

complete_task — one `complete` command (lock, restore, run, sync work items, serialise, commit)
on a case with N completed tasks, against the same work done by SpiffWorkflow alone in memory
(restore + run + serialise, no database). The ratio is the cost of persistence and bookkeeping.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

import engine.models  # noqa: F401
from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.clock import SimulatedClock
from engine.migrations import upgrade_database
from engine.network.service import sync_network
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_WORKER_ROLE
from engine.protocols import service as protocols
from engine.settings import Settings
from engine.wiring import Wiring
from engine.workflow.serialization import restore_workflow, state_json_of
from engine.workflow.tree import live_manual_tasks

CHAIN = 220
CHECKPOINTS = (10, 50, 200)
SAMPLES = 7


def chain_protocol(length: int) -> str:
    nodes, flows, refs = [], [], []
    for i in range(length):
        nodes.append(f'<bpmn:userTask id="t{i}" name="งาน {i}"><bpmn:incoming>f{i}</bpmn:incoming><bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:userTask>')
        refs.append(f"<bpmn:flowNodeRef>t{i}</bpmn:flowNodeRef>")
    for i in range(length + 1):
        source = "begin" if i == 0 else f"t{i - 1}"
        target = f"t{i}" if i < length else "finish"
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{source}" targetRef="{target}"/>')
    return (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="bench_defs" targetNamespace="bench">'
        '<bpmn:process id="bench_chain" name="ลำดับ งาน" isExecutable="true">'
        f'<bpmn:laneSet id="lanes"><bpmn:lane id="school" name="spm_tak">{"".join(refs)}</bpmn:lane></bpmn:laneSet>'
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
        f'{"".join(nodes)}<bpmn:endEvent id="finish"><bpmn:incoming>f{length}</bpmn:incoming></bpmn:endEvent>'
        f'{"".join(flows)}</bpmn:process></bpmn:definitions>'
    )


def main() -> int:
    clock = SimulatedClock(datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc))
    with tempfile.TemporaryDirectory() as folder:
        wiring = Wiring.from_settings(Settings(database_url=f"sqlite:///{Path(folder) / 'bench.db'}"), clock=clock)
        upgrade_database(wiring.db)
        network = wiring.network
        with wiring.session_factory() as session:
            sync_network(session=session, network=network)
            user = User(username="bench", display_name="bench", role_code=CASE_WORKER_ROLE, agency_code="spm_tak", active=True, created_at=clock.now())
            session.add(user)
            session.commit()
            actor = Actor.of(user)
            version, _ = protocols.store_draft(session=session, key="bench_chain", bpmn=chain_protocol(CHAIN), network=network, clock=clock, actor=actor)
            protocols.publish(session=session, key="bench_chain", version=version.version, clock=clock, actor=actor)
            case = commands.start_case(session=session, protocol_key="bench_chain", data={}, actor=actor, clock=clock, network=network)
            rows = []
            done = 0
            for checkpoint in CHECKPOINTS:
                command_times, library_times = [], []
                while done < checkpoint + SAMPLES:
                    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state == "open"))
                    if done >= checkpoint:
                        # The library alone: restore, run the task, serialise — on the same state.
                        state = session.get(Case, case.id).state_json
                        started = time.perf_counter()
                        workflow = restore_workflow(state, version.spec_json)
                        task = live_manual_tasks(workflow)[0]
                        task.set_data(note="x" * 60)
                        task.run()
                        workflow.refresh_timers()
                        workflow.do_engine_steps()
                        state_json_of(workflow)
                        library_times.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    commands.complete(
                        session=session, work_item_id=item.id, data={"note": "x" * 60}, actor=actor, clock=clock,
                        network=network,
                    )
                    elapsed = time.perf_counter() - started
                    if done >= checkpoint:
                        command_times.append(elapsed)
                    done += 1
                command = statistics.median(command_times)
                library = statistics.median(library_times)
                rows.append((checkpoint, command * 1000, library * 1000, command / library, len(session.get(Case, case.id).state_json)))
        wiring.dispose()

    print("complete_task (SQLite, one run, medians of", SAMPLES, "commands)")
    print(f"{'completed':>10} {'command ms':>11} {'library ms':>11} {'ratio':>6} {'state bytes':>12}")
    for checkpoint, command_ms, library_ms, ratio, state_bytes in rows:
        print(f"{checkpoint:>10} {command_ms:>11.2f} {library_ms:>11.2f} {ratio:>6.2f} {state_bytes:>12}")
    growth = rows[-1][1] / rows[0][1]
    print(f"command cost growth {CHECKPOINTS[0]}→{CHECKPOINTS[-1]} completed tasks: {growth:.2f}×")
    return 0


SCENARIOS = {"complete_task": main}


def run_scenarios(names: list[str]) -> int:
    from bench import pages

    scenarios = {**SCENARIOS, "pages": pages.main}
    unknown = [name for name in names if name not in scenarios]
    if unknown:
        print(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(scenarios)}", file=sys.stderr)
        return 2
    return max(scenarios[name]() for name in names or scenarios)


if __name__ == "__main__":
    sys.exit(run_scenarios(sys.argv[1:]))
