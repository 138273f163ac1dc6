"""A case's state is stored without its spec; the spec is stored once per protocol version."""
from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.workflow.expressions import SCRIPT_ENGINE
from engine.workflow.predictions import predict_again, serialise_without_predictions, take_marks
from engine.workflow.specs import restored_specs
from engine.workflow.types import ProcessSpec, Workflow

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_SPEC_KEYS = ("spec", "subprocess_specs")


def _to_json_ready_dict(workflow: Workflow, *, without_predictions: bool = False) -> dict[str, Any]:
    # serialize_json() sets encoder mode around to_dict(); we need the dict itself to split it.
    SERIALIZER.registry._encoder_mode = True
    try:
        if without_predictions:
            return serialise_without_predictions(workflow, SERIALIZER)
        return SERIALIZER.to_dict(workflow)
    finally:
        SERIALIZER.registry._encoder_mode = False


def _dumps(dct: dict[str, Any]) -> str:
    # Thai text stays as UTF-8 characters rather than six-byte \u escapes.
    return json.dumps(dct, cls=SERIALIZER._encoder_cls, separators=(",", ":"), ensure_ascii=False)


def spec_json_of(spec: ProcessSpec, subprocess_specs: dict[str, ProcessSpec]) -> str:
    """The serialised spec of a freshly parsed protocol, as stored on its version."""
    dct = _to_json_ready_dict(BpmnWorkflow(spec, subprocess_specs))
    blob = {key: dct[key] for key in _SPEC_KEYS}
    blob[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return _dumps(blob)


def state_json_of(workflow: Workflow) -> str:
    """The case's state: its tasks without the spec, and without the predicted future that
    restoring predicts again (:mod:`engine.workflow.predictions`)."""
    dct = _to_json_ready_dict(workflow, without_predictions=True)
    for key in _SPEC_KEYS:
        dct.pop(key, None)
    if prune_repeating_timers(dct, manual_specs=_manual_spec_names(workflow)):
        _pruned.add(workflow)
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return _dumps(dct)


# Workflows whose stored state left out branches they still hold in memory. Kept and moved on,
# such a workflow would grow with every firing of its repeating timer (and each engine step walks
# its whole tree), so the cache of live workflows does not keep it: the next command restores
# the pruned state instead.
_pruned: weakref.WeakSet[Workflow] = weakref.WeakSet()


def matches_its_state(workflow: Workflow) -> bool:
    """Whether the workflow holds no more than the state last serialised from it restores."""
    return workflow not in _pruned


# -- repeating timers leave no trail ----------------------------------------------------------

_FINISHED = (TaskState.COMPLETED, TaskState.CANCELLED)
_PREDICTED = TaskState.WAITING | TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE


def _manual_spec_names(workflow: Workflow) -> set[str]:
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return {name for spec in specs for name, task_spec in spec.task_specs.items() if task_spec.manual}


def _is_repeating_timer(task: dict[str, Any]) -> bool:
    value = (task.get("internal_data") or {}).get("event_value")
    return task.get("state") == TaskState.WAITING and isinstance(value, dict) and "cycles" in value


def _subtree(tasks: dict[str, dict[str, Any]], task_id: str) -> list[str]:
    ids, frontier = [], [task_id]
    while frontier:
        current = frontier.pop()
        ids.append(current)
        frontier.extend(tasks[current].get("children") or [])
    return ids


def prune_repeating_timers(dct: dict[str, Any], *, manual_specs: set[str]) -> int:
    """Drop what the firings of a waiting repeating timer left behind in a serialised state.

    A repeating timer stays WAITING and adds a child branch at every firing, each carrying a
    copy of the case's variables: ``R/PT1S`` would grow a case's state by about a kilobyte a
    second. A branch that has run to its end (every task in it completed or cancelled) and
    holds no user task is history nothing will read (the firing itself is in the audit
    trail); and of the identical predicted leaves each firing adds (the boundary event's join,
    say), the newest stands for them all. Branches with live work, or with a user task whose
    form values may be read, stay. Returns how many tasks went.
    """
    removed = 0
    # A (call-activity) subprocess is stored under the id of the task that runs it: such a task
    # stays, with its branch, so that no subprocess is left without its task.
    runs_subprocess = set(dct.get("subprocesses") or {})
    for workflow in [dct, *(dct.get("subprocesses") or {}).values()]:
        tasks: dict[str, dict[str, Any]] = workflow.get("tasks") or {}
        for timer in [t for t in tasks.values() if _is_repeating_timer(t)]:
            keep: list[str] = []
            drop: list[str] = []
            newest_leaf: dict[str, str] = {}
            for child_id in timer.get("children") or []:
                child = tasks[child_id]
                branch = _subtree(tasks, child_id)
                if all(
                    tasks[i]["state"] in _FINISHED and tasks[i]["task_spec"] not in manual_specs and i not in runs_subprocess
                    for i in branch
                ):
                    drop.extend(branch)
                    continue
                if not child.get("children") and child["state"] & _PREDICTED and child["task_spec"] not in manual_specs:
                    earlier = newest_leaf.get(child["task_spec"])
                    if earlier is not None:
                        keep.remove(earlier)
                        drop.append(earlier)
                    newest_leaf[child["task_spec"]] = child_id
                keep.append(child_id)
            for task_id in drop:
                del tasks[task_id]
            timer["children"] = keep
            removed += len(drop)
        if workflow.get("last_task") not in tasks:
            workflow["last_task"] = None
    return removed


def restore_workflow(state_json: str, spec_json: str) -> Workflow:
    """Rebuild a case's workflow and re-attach the expression-only script engine."""
    dct = json.loads(state_json, cls=SERIALIZER.json_decoder_cls)
    spec, subprocess_specs, spec_version = restored_specs(spec_json, SERIALIZER)
    if spec_version != dct.get(SERIALIZER.VERSION_KEY):
        raise ValueError(
            f"state (format {dct.get(SERIALIZER.VERSION_KEY)}) and spec (format {spec_version}) "
            "were written by different serializer versions"
        )
    if spec_version == SERIALIZER.VERSION:
        # The current format needs no migration: the spec objects rebuilt once are shared
        # (from_dict passes objects through as they are).
        del dct[SERIALIZER.VERSION_KEY]
        dct["spec"], dct["subprocess_specs"] = spec, dict(subprocess_specs)
    else:
        spec_blob = json.loads(spec_json, cls=SERIALIZER.json_decoder_cls)
        spec_blob.pop(SERIALIZER.VERSION_KEY, None)
        dct.update(spec_blob)
        SERIALIZER.migrate(dct)
    marks = take_marks(dct)
    workflow = SERIALIZER.from_dict(dct)
    predict_again(workflow, marks)
    # The script engine is not serialised; without this the library would fall back to its default
    # engine, which evaluates with Python itself.
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def new_workflow(spec_json: str) -> Workflow:
    spec, subprocess_specs, _version = restored_specs(spec_json, SERIALIZER)
    return BpmnWorkflow(spec, dict(subprocess_specs), script_engine=SCRIPT_ENGINE)


def scrub_state(state_json: str, keep: Callable[[str, Any], bool]) -> tuple[str, int]:
    """A case's stored state with every variable ``keep`` refuses removed, wherever the library
    keeps variables: the workflow's and each task's data, each task's data changes, message
    payloads held in tasks or waiting, correlation values, and the same in every subprocess.
    Returns the new state and how many values went. Timer and engine bookkeeping stays, so the
    state still restores."""
    dct = json.loads(state_json, cls=SERIALIZER.json_decoder_cls)
    removed = 0

    def filtered(values: Any) -> Any:
        nonlocal removed
        if not isinstance(values, dict):
            return values
        kept = {name: value for name, value in values.items() if keep(name, value)}
        removed += len(values) - len(kept)
        return kept

    def scrub_workflow(workflow: dict[str, Any]) -> None:
        for key in ("data", "correlations"):
            if key in workflow:
                workflow[key] = filtered(workflow[key])
        for task in (workflow.get("tasks") or {}).values():
            task["data"] = filtered(task.get("data"))
            delta = task.get("delta")
            if isinstance(delta, dict) and "updates" in delta:
                delta["updates"] = filtered(delta["updates"])
            internal = task.get("internal_data")
            if isinstance(internal, dict):
                task["internal_data"] = {
                    name: filtered(value) if isinstance(value, dict) else value for name, value in internal.items()
                }
        for event in workflow.get("bpmn_events") or []:
            if isinstance(event, dict) and isinstance(event.get("payload"), dict):
                event["payload"] = filtered(event["payload"])
        for subprocess in (workflow.get("subprocesses") or {}).values():
            scrub_workflow(subprocess)

    scrub_workflow(dct)
    return _dumps(dct), removed


# -- the library's own round trip, the yardstick of `make bench` ------------------------------

def library_state_json(workflow: Workflow) -> str:
    """SpiffWorkflow's own serialisation of a workflow, spec and predicted tasks included, with
    none of the engine's savings (no spec left out, no predictions dropped, no memoised tasks):
    what a program using the library alone would store."""
    return str(SERIALIZER.serialize_json(workflow))


def library_restore(library_json: str) -> Workflow:
    """The library's own restore of :func:`library_state_json`, with the expression engine."""
    workflow = SERIALIZER.deserialize_json(library_json)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow
