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

Signature = tuple[int, float, bool, tuple[UUID, ...], int, int, int, int]


def _signature(task: Task) -> Signature:
    return (
        task.state, task.last_state_change, task.triggered, tuple(task._children),
        id(task.data), len(task.data), id(task.internal_data), len(task.internal_data),
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
        memo: dict[UUID, tuple[Signature, Any]] | None = getattr(top, _MEMO_ATTRIBUTE, None)
        parent = task.parent
        if memo is None or kwargs or not task.state & TaskState.FINISHED_MASK or (
            parent is not None and not parent.state & TaskState.FINISHED_MASK
        ):
            return convert(task, **kwargs)
        signature = _signature(task)
        known = memo.get(task.id)
        if known is not None and known[0] == signature:
            return known[1]
        converted = convert(task)
        memo[task.id] = (signature, converted)
        return converted

    return convert_task
