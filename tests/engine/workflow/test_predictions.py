"""A case's stored state leaves its predicted future out, and restoring predicts it again."""
from __future__ import annotations

import json
from typing import Any

import pytest

from engine.protocols.parsing import parse_protocol
from engine.workflow.predictions import MARK_KEY
from engine.workflow.running import advance, run_task
from engine.workflow.serialization import new_workflow, restore_workflow, state_json_of
from engine.workflow.tree import all_workflows, live_manual_tasks
from engine.workflow.types import Task, Workflow
from tests.bpmn_builders import parallel_tasks, sequential_tasks
from tests.conftest import FIXTURES

REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")


def shape(task: Task) -> tuple[Any, ...]:
    """A task tree as SpiffWorkflow runs it: specs, states and data, without the task ids."""
    return (task.task_spec.name, task.state, task.triggered, sorted(task.data.items()),
            tuple(shape(child) for child in task.children))


def shapes(workflow: Workflow) -> list[tuple[Any, ...]]:
    return [shape(tree.task_tree) for tree in all_workflows(workflow)]


def started(bpmn: str, network) -> tuple[Workflow, str]:
    spec_json = parse_protocol(bpmn, network=network).spec_json
    workflow = new_workflow(spec_json)
    advance(workflow)
    return workflow, spec_json


@pytest.mark.parametrize("bpmn, data", [
    (sequential_tasks(30, deadlines=True), {}),
    (parallel_tasks(4), {"note": "ครบ"}),
    (REFERENCE, {"severity": "high", "risk": 3}),
], ids=["chain with deadlines", "parallel", "reference"])
def test_the_restored_workflow_is_the_one_that_was_stored(bpmn, data, network):
    workflow, spec_json = started(bpmn, network)
    steps = 0
    while live_manual_tasks(workflow) and steps < 40:
        stored = state_json_of(workflow)
        restored = restore_workflow(stored, spec_json)
        assert shapes(restored) == shapes(workflow)
        # Storing it again gives the same text: nothing was lost or invented on the way.
        assert state_json_of(restored) == stored
        # Both go on alike.
        for each in (workflow, restored):
            run_task(live_manual_tasks(each)[0], data)
            advance(each)
        assert shapes(restored) == shapes(workflow)
        workflow = restored
        steps += 1
    assert steps > 0


def test_a_long_protocol_s_future_is_not_stored(network):
    workflow, _ = started(sequential_tasks(120), network)
    stored = state_json_of(workflow)
    state = json.loads(stored)
    # The start, the live task and the next one (the frontier, marked): not 120 tasks.
    assert len(state["tasks"]) < 10
    assert len(state[MARK_KEY]) == 1
    assert len(stored) < 8_000
    assert len(workflow.tasks) > 120  # in memory the whole prediction is still there


def test_a_finished_task_is_converted_again_when_it_changes(network):
    """Finished tasks are converted once per live workflow, but never handed back stale."""
    workflow, _ = started(sequential_tasks(5), network)
    for _ in range(2):
        run_task(live_manual_tasks(workflow)[0], {"note": "ก่อน"})
        advance(workflow)
    first = state_json_of(workflow)
    assert "หลัง" not in first
    done = next(t for t in workflow.tasks.values() if t.task_spec.name == "t1")
    done.data = {**done.data, "note": "หลัง"}  # e.g. an erasure rewriting what was recorded
    assert "หลัง" in state_json_of(workflow)
