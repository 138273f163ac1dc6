"""A case's state is stored without its spec; the spec is stored once per protocol version."""
from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.workflow.expressions import SCRIPT_ENGINE
from engine.workflow.finished import Signature, settled, signature
from engine.workflow.predictions import predict_again, serialise_without_predictions, take_marks
from engine.workflow.specs import restored_specs
from engine.workflow.tree import trees_by_id
from engine.workflow.types import ProcessSpec, Task, Workflow

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_SPEC_KEYS = ("spec", "subprocess_specs")


def _to_json_ready_dict(
    workflow: Workflow, *, without_predictions: bool = False, skip: set[UUID] | None = None
) -> dict[str, Any]:
    # serialize_json() sets encoder mode around to_dict(); we need the dict itself to split it.
    SERIALIZER.registry._encoder_mode = True
    try:
        if without_predictions:
            return serialise_without_predictions(workflow, SERIALIZER, skip=skip)
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
    """The case's whole state in one text: its tasks without the spec, and without the predicted
    future that restoring predicts again (:mod:`engine.workflow.predictions`). What a case kept
    before finished tasks were stored apart, and what a migration to another version reads;
    :func:`restore_workflow` reads it as it reads a split state."""
    return _serialise(workflow, split=False).state_json


def split_state_of(workflow: Workflow, *, replace_all: bool = False) -> StateWrite:
    """The case's state as it is stored: the live part (one text, on the case row) and its
    finished tasks apart, one row each, written once. Compared with what the workflow knows the
    database holds (:func:`restore_workflow` and earlier writes tell it), only the finished
    tasks new or changed since are converted and written, and those gone are deleted; with
    ``replace_all`` (or a workflow whose stored rows are not known) every row is written anew."""
    return _serialise(workflow, split=True, replace_all=replace_all)


class FinishedRow(NamedTuple):
    """One finished task stored apart from the live state: the subprocess it belongs to (None
    for the top workflow), its id, its place in the order rows were written, its JSON."""

    tree_id: str | None
    task_id: str
    seq: int
    task_json: str


@dataclass
class StateWrite:
    """What one serialisation writes: the live state text, and the finished-task rows to insert
    or update and the task ids whose rows go (all of them first, with ``replace_all``)."""

    state_json: str
    replace_all: bool
    inserted: list[FinishedRow] = field(default_factory=list)
    updated: list[FinishedRow] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def bytes_written(self) -> int:
        rows = sum(len(row.task_json.encode("utf-8")) for row in (*self.inserted, *self.updated))
        return len(self.state_json.encode("utf-8")) + rows


# The key, in a split live state, saying that its finished tasks are stored apart: restoring it
# without them would lose the case's history, so that is refused. Its absence means the whole
# state is in the text (a case last written before finished tasks were stored apart).
SPLIT_KEY = "khumkrong_finished_apart"
SPLIT_FORMAT = 1

_STORED_ATTRIBUTE = "_khumkrong_stored_tasks"


@dataclass
class _Stored:
    """What the database holds of a workflow's finished tasks: task id → (tree id, signature of
    the task when its row was written; None for a row to be deleted), and the next ``seq``."""

    tasks: dict[UUID, tuple[str | None, Signature | None]]
    next_seq: int = 0


def _serialise(workflow: Workflow, *, split: bool, replace_all: bool = False) -> StateWrite:
    manual = _manual_spec_names(workflow)
    pruned = _finished_timer_branches(workflow, manual)
    stored: _Stored | None = getattr(workflow, _STORED_ATTRIBUTE, None)
    replace_all = replace_all or stored is None
    known = {} if replace_all or stored is None else stored.tasks
    skip = set(pruned)
    to_write: dict[UUID, tuple[str | None, Signature]] = {}
    present: set[UUID] = set()
    if split:
        for tree, sub_id in trees_by_id(workflow):
            tree_id = None if sub_id is None else str(sub_id)
            for task_id, task in tree.tasks.items():
                if task_id in pruned or not settled(task):
                    continue
                present.add(task_id)
                now = (tree_id, signature(task))
                if known.get(task_id) == now:
                    skip.add(task_id)
                else:
                    to_write[task_id] = now
    dct = _to_json_ready_dict(workflow, without_predictions=True, skip=skip)
    for key in _SPEC_KEYS:
        dct.pop(key, None)
    dropped = {str(task_id) for task_id in pruned}
    if _drop_timer_leftovers(dct, manual_specs=manual, pruned=dropped) or pruned:
        _pruned.add(workflow)
    write = StateWrite(state_json="", replace_all=replace_all)
    if split:
        next_seq = 0 if replace_all or stored is None else stored.next_seq
        for task_id, (tree_id, _now) in to_write.items():
            tree_dict = dct if tree_id is None else dct["subprocesses"][tree_id]
            task_json = _dumps(tree_dict["tasks"].pop(str(task_id)))
            if task_id in known:
                write.updated.append(FinishedRow(tree_id, str(task_id), -1, task_json))
            else:
                write.inserted.append(FinishedRow(tree_id, str(task_id), next_seq, task_json))
                next_seq += 1
        write.deleted = [str(task_id) for task_id in known if task_id not in present]
        kept = {task_id: entry for task_id, entry in known.items() if task_id in present}
        kept.update(to_write)
        setattr(workflow, _STORED_ATTRIBUTE, _Stored(kept, next_seq))
        dct[SPLIT_KEY] = SPLIT_FORMAT
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    write.state_json = _dumps(dct)
    return write


def mark_nothing_stored(workflow: Workflow) -> None:
    """A workflow no row has been written for yet (a new case's)."""
    setattr(workflow, _STORED_ATTRIBUTE, _Stored({}))


# Workflows whose stored state left out branches they still hold in memory. Kept and moved on,
# such a workflow would grow with every firing of its repeating timer (and each engine step walks
# its whole tree), so the cache of live workflows does not keep it: the next command restores
# the pruned state instead.
_pruned: weakref.WeakSet[Workflow] = weakref.WeakSet()


def matches_its_state(workflow: Workflow) -> bool:
    """Whether the workflow holds no more than the state last serialised from it restores."""
    return workflow not in _pruned


# -- repeating timers leave no trail ----------------------------------------------------------
#
# A repeating timer stays WAITING and adds a child branch at every firing, each carrying a copy
# of the case's variables: ``R/PT1S`` would grow a case's state by about a kilobyte a second. A
# branch that has run to its end (every task in it completed or cancelled) and holds no user
# task is history nothing will read (the firing itself is in the audit trail); and of the
# identical predicted leaves each firing adds (the boundary event's join, say), the newest
# stands for them all. Branches with live work, or with a user task whose form values may be
# read, stay. The finished branches are found on the workflow itself (their tasks may be
# stored apart, and need not be converted at all), the predicted leaves in the serialised form.

_FINISHED = (TaskState.COMPLETED, TaskState.CANCELLED)
_PREDICTED = TaskState.WAITING | TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE


def _manual_spec_names(workflow: Workflow) -> set[str]:
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return {name for spec in specs for name, task_spec in spec.task_specs.items() if task_spec.manual}


def _is_repeating_timer(task: dict[str, Any]) -> bool:
    value = (task.get("internal_data") or {}).get("event_value")
    return task.get("state") == TaskState.WAITING and isinstance(value, dict) and "cycles" in value


def _is_repeating_timer_task(task: Task) -> bool:
    value = task.internal_data.get("event_value")
    return task.state == TaskState.WAITING and isinstance(value, dict) and "cycles" in value


def _finished_timer_branches(workflow: Workflow, manual_specs: set[str]) -> set[UUID]:
    """The ids of the tasks in the finished branches below waiting repeating timers."""
    # A (call-activity) subprocess is stored under the id of the task that runs it: such a task
    # stays, with its branch, so that no subprocess is left without its task.
    runs_subprocess = set(workflow.subprocesses)
    drop: set[UUID] = set()
    for tree, _sub_id in trees_by_id(workflow):
        for timer in [t for t in tree.tasks.values() if _is_repeating_timer_task(t)]:
            for child in timer.children:
                branch, frontier = [], [child]
                while frontier:
                    current = frontier.pop()
                    branch.append(current)
                    frontier.extend(current.children)
                if all(
                    t.state in _FINISHED and t.task_spec.name not in manual_specs and t.id not in runs_subprocess
                    for t in branch
                ):
                    drop.update(t.id for t in branch)
    return drop


def _drop_timer_leftovers(dct: dict[str, Any], *, manual_specs: set[str], pruned: set[str]) -> int:
    """In a serialised state: take the ``pruned`` branches off their timers, and of the
    identical predicted leaves below a waiting repeating timer keep the newest. Returns how many
    leaves went."""
    removed = 0
    for workflow in [dct, *(dct.get("subprocesses") or {}).values()]:
        tasks: dict[str, dict[str, Any]] = workflow.get("tasks") or {}
        gone = set()
        for timer in [t for t in tasks.values() if _is_repeating_timer(t)]:
            keep: list[str] = []
            newest_leaf: dict[str, str] = {}
            for child_id in timer.get("children") or []:
                if child_id in pruned:
                    continue
                child = tasks.get(child_id)
                if (
                    child is not None and not child.get("children") and child["state"] & _PREDICTED
                    and child["task_spec"] not in manual_specs
                ):
                    earlier = newest_leaf.get(child["task_spec"])
                    if earlier is not None:
                        keep.remove(earlier)
                        del tasks[earlier]
                        gone.add(earlier)
                        removed += 1
                    newest_leaf[child["task_spec"]] = child_id
                keep.append(child_id)
            timer["children"] = keep
        if workflow.get("last_task") in pruned or workflow.get("last_task") in gone:
            workflow["last_task"] = None
    return removed


def _parents_first(finished: list[tuple[str, dict[str, Any]]], live: dict[str, Any]) -> dict[str, Any]:
    """The finished tasks (in the order they were stored) and the live ones (in theirs) in one
    mapping where every task comes after its parent: SpiffWorkflow rebuilds a task's data from
    its parent's, which must be restored first. The live tasks keep their relative order."""
    merged: dict[str, Any] = {}
    waiting: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for task_id, task in [*finished, *live.items()]:
        parent = task.get("parent")
        if parent is not None and parent not in merged:
            waiting.setdefault(parent, []).append((task_id, task))
            continue
        ready = [(task_id, task)]
        while ready:
            current_id, current = ready.pop(0)
            merged[current_id] = current
            ready[0:0] = waiting.pop(current_id, [])
    for orphans in waiting.values():  # a parent nowhere: kept, as the whole state kept it
        for task_id, task in orphans:
            merged.setdefault(task_id, task)
    return merged


def restore_workflow(state_json: str, spec_json: str, finished: Sequence[FinishedRow] | None = None) -> Workflow:
    """Rebuild a case's workflow and re-attach the expression-only script engine. ``finished``
    are the case's finished tasks stored apart (:func:`split_state_of`), required when its
    state says they were."""
    dct = json.loads(state_json, cls=SERIALIZER.json_decoder_cls)
    split = dct.pop(SPLIT_KEY, None)
    if split is not None and split != SPLIT_FORMAT:
        raise ValueError(f"state stored apart in format {split}; this engine reads format {SPLIT_FORMAT}")
    if split is not None and finished is None:
        raise ValueError("the case's finished tasks are stored apart and were not read with its state")
    rows = sorted(finished or (), key=lambda row: row.seq)
    if rows:
        by_tree: dict[str | None, list[tuple[str, dict[str, Any]]]] = {}
        for row in rows:
            by_tree.setdefault(row.tree_id, []).append(
                (row.task_id, json.loads(row.task_json, cls=SERIALIZER.json_decoder_cls))
            )
        for tree_id, tasks in by_tree.items():
            tree_dict = dct if tree_id is None else (dct.get("subprocesses") or {}).get(tree_id)
            if tree_dict is not None:  # rows of a subprocess no longer there go at the next write
                tree_dict["tasks"] = _parents_first(tasks, tree_dict.get("tasks") or {})
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
    # What the database holds of its finished tasks, so that the next write adds only what is new.
    trees = {None if sub_id is None else str(sub_id): tree for tree, sub_id in trees_by_id(workflow)}
    stored: dict[UUID, tuple[str | None, Signature | None]] = {}
    for row in rows:
        task_id = UUID(row.task_id)
        tree = trees.get(row.tree_id)
        task = tree.tasks.get(task_id) if tree is not None else None
        stored[task_id] = (row.tree_id, signature(task) if task is not None else None)
    setattr(workflow, _STORED_ATTRIBUTE, _Stored(stored, max((row.seq for row in rows), default=-1) + 1))
    return workflow


def new_workflow(spec_json: str) -> Workflow:
    spec, subprocess_specs, _version = restored_specs(spec_json, SERIALIZER)
    workflow = BpmnWorkflow(spec, dict(subprocess_specs), script_engine=SCRIPT_ENGINE)
    mark_nothing_stored(workflow)  # a new case's: nothing of it is in the database yet
    return workflow


def scrub_state(
    state_json: str, keep: Callable[[str, Any], bool], finished: Sequence[FinishedRow] = ()
) -> tuple[str, list[FinishedRow], int]:
    """A case's stored state with every variable ``keep`` refuses removed, wherever the library
    keeps variables: the workflow's and each task's data, each task's data changes, message
    payloads held in tasks or waiting, correlation values, and the same in every subprocess and
    in every finished task stored apart (``finished``). Returns the new state, the finished
    rows that changed (to be written back), and how many values went. Timer and engine
    bookkeeping stays, so the state still restores."""
    dct = json.loads(state_json, cls=SERIALIZER.json_decoder_cls)
    removed = 0

    def filtered(values: Any) -> Any:
        nonlocal removed
        if not isinstance(values, dict):
            return values
        kept = {name: value for name, value in values.items() if keep(name, value)}
        removed += len(values) - len(kept)
        return kept

    def scrub_task(task: dict[str, Any]) -> None:
        task["data"] = filtered(task.get("data"))
        delta = task.get("delta")
        if isinstance(delta, dict) and "updates" in delta:
            delta["updates"] = filtered(delta["updates"])
        internal = task.get("internal_data")
        if isinstance(internal, dict):
            task["internal_data"] = {
                name: filtered(value) if isinstance(value, dict) else value for name, value in internal.items()
            }

    def scrub_workflow(workflow: dict[str, Any]) -> None:
        for key in ("data", "correlations"):
            if key in workflow:
                workflow[key] = filtered(workflow[key])
        for task in (workflow.get("tasks") or {}).values():
            scrub_task(task)
        for event in workflow.get("bpmn_events") or []:
            if isinstance(event, dict) and isinstance(event.get("payload"), dict):
                event["payload"] = filtered(event["payload"])
        for subprocess in (workflow.get("subprocesses") or {}).values():
            scrub_workflow(subprocess)

    scrub_workflow(dct)
    changed = []
    for row in finished:
        before = removed
        task = json.loads(row.task_json, cls=SERIALIZER.json_decoder_cls)
        scrub_task(task)
        if removed != before:
            changed.append(row._replace(task_json=_dumps(task)))
    return _dumps(dct), changed, removed


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
