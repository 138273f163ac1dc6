"""Finished tasks are converted for storage once per live workflow, not once per command.

A completed or cancelled task never changes again (its data was set while it ran; the engine's
expressions cannot change a value in place), so a workflow kept alive between commands
(:mod:`engine.workflow.live`) keeps the converted form of each finished task and hands it back
on the next serialisation, while the task still has the same state, timestamp, children and
data objects. Without this the cost of every command grows with the case's history.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from engine.workflow.types import Task, Workflow

_MEMO_ATTRIBUTE = "_khumkrong_finished_tasks"
# Task ids a serialisation leaves out altogether (stored apart already, or pruned): converting
# them would be wasted work. Set on the top workflow only for the length of one serialisation.
_SKIP_ATTRIBUTE = "_khumkrong_skip_tasks"
# What the converter hands back for a task left out; the serialiser removes these entries.
SKIPPED: Any = object()

Signature = tuple[int, float, bool, tuple[UUID, ...], int, int, int, int]


def signature(task: Task) -> Signature:
    """What must stay the same for a finished task's stored form to stay right."""
    return (
        task.state, task.last_state_change, task.triggered, tuple(task._children),
        id(task.data), len(task.data), id(task.internal_data), len(task.internal_data),
    )


def settled(task: Task) -> bool:
    """A finished task whose delta is taken against a finished parent: it never changes again
    (if it ever does, its signature tells). Such a task is converted once per live workflow
    here, and stored once, apart from the live state (``engine.workflow.serialization``)."""
    parent = task.parent
    return bool(task.state & TaskState.FINISHED_MASK) and (
        parent is None or bool(parent.state & TaskState.FINISHED_MASK)
    )


def remember_finished_tasks(workflow: Workflow) -> None:
    """Let this workflow's finished tasks be converted once (kept on the workflow object)."""
    if not hasattr(workflow, _MEMO_ATTRIBUTE):
        setattr(workflow, _MEMO_ATTRIBUTE, {})


def memoised(convert: Any) -> Any:
    """Wrap a task converter: a finished task (with a finished parent, whose data its stored
    delta is taken against) of a remembering workflow is converted once."""

    def convert_task(task: Task, **kwargs: Any) -> Any:
        top = getattr(task.workflow, "top_workflow", task.workflow)
        skip: set[UUID] | None = getattr(top, _SKIP_ATTRIBUTE, None)
        if skip and task.id in skip and not kwargs:
            return SKIPPED
        memo: dict[UUID, tuple[Signature, Any]] | None = getattr(top, _MEMO_ATTRIBUTE, None)
        if memo is None or kwargs or not settled(task):
            return convert(task, **kwargs)
        now = signature(task)
        known = memo.get(task.id)
        if known is not None and known[0] == now:
            return known[1]
        converted = convert(task)
        memo[task.id] = (now, converted)
        return converted

    return convert_task


def set_skipped(workflow: Workflow, task_ids: set[UUID] | None) -> None:
    """Tasks the next conversions of this workflow leave out (None: none)."""
    setattr(workflow, _SKIP_ATTRIBUTE, task_ids)
