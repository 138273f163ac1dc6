"""Leaving a case's predicted future out of its stored state, and predicting it again on restore.

SpiffWorkflow keeps, beside the tasks that ran and the live ones, a task for every step still
to come (FUTURE, and LIKELY/MAYBE on the branches of a gateway). On a long protocol that
prediction is most of the stored state, and it is written again by every command although no
command changes it: a 220-step chain stores about 80 KB whatever has happened.

What is left out: below a *frontier* task — a FUTURE task whose parent ran or is live — all its
descendants, when every one of them is a prediction with nothing of its own (no data, no
internal data, not triggered, no subprocess). The frontier task itself stays, marked. On
restore each marked frontier predicts its subtree again with SpiffWorkflow's own ``_predict``,
exactly as it was first predicted: a FUTURE task's hook does not depend on where the
prediction started, and the predicted tasks below it carry nothing that prediction does not
give them. Only the ids of the re-predicted tasks differ, and nothing refers to a predicted
task by id (work items, escalations and timers all name live tasks).
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from engine.workflow.finished import SKIPPED, memoised, remember_finished_tasks, set_skipped
from engine.workflow.tree import trees_by_id
from engine.workflow.types import Task, TaskTree, Workflow

# The key, in a (sub)workflow's serialised dict, listing its frontier tasks whose subtrees were
# left out. SpiffWorkflow's own converters ignore keys they do not know.
MARK_KEY = "khumkrong_repredict"
_PREDICTED = TaskState.FUTURE | TaskState.PREDICTED_MASK


def _own_nothing(task: Task, keep: set[UUID]) -> bool:
    return (
        bool(task.state & _PREDICTED) and not task.triggered and not task.data and not task.internal_data
        and task.id not in keep
    )


def _prunable_subtrees(tree: TaskTree, keep: set[UUID]) -> dict[UUID, list[UUID]]:
    """Frontier task id → the ids of its descendants, for the subtrees that may be left out."""
    found: dict[UUID, list[UUID]] = {}
    for task in tree.tasks.values():
        if task.state != TaskState.FUTURE or not task._children:
            continue
        parent = task.parent
        if parent is None or parent.state & _PREDICTED:
            continue
        below: list[UUID] = []
        frontier = list(task.children)
        prunable = True
        while frontier and prunable:
            child = frontier.pop()
            prunable = _own_nothing(child, keep)
            below.append(child.id)
            frontier.extend(child.children)
        if prunable:
            found[task.id] = below
    return found


def _memoise_finished_tasks(registry: Any) -> None:
    """Once per registry: its task converter hands back a finished task's stored form
    (:mod:`engine.workflow.finished`)."""
    if getattr(registry, "_khumkrong_memoised", False):
        return
    typename = registry.typenames[Task]
    registry.convert_to_dict[typename] = memoised(registry.convert_to_dict[typename])
    registry._khumkrong_memoised = True


def serialise_without_predictions(
    workflow: Workflow, serializer: Any, *, skip: set[UUID] | None = None
) -> dict[str, Any]:
    """``serializer.to_dict(workflow)`` without its spec, with the prunable predicted subtrees left out and their
    frontier tasks marked (see the module's docstring); finished tasks are converted once per
    live workflow. The tasks in ``skip`` are not converted and not in the result (they stay in
    the workflow: a task's parent must be found while its children are converted)."""
    _memoise_finished_tasks(serializer.registry)
    remember_finished_tasks(workflow)
    to_dict = serializer.to_dict
    # Never leave out a task something else points at: a subprocess's parent task, the last task.
    keep = {sub_id for sub_id in workflow.subprocesses}
    plans = []
    for tree, sub_id in trees_by_id(workflow):
        if tree.last_task is not None:
            keep.add(tree.last_task.id)
        subtrees = _prunable_subtrees(tree, keep)
        if subtrees:
            dropped = {task_id for below in subtrees.values() for task_id in below}
            plans.append((tree, sub_id, subtrees, tree.tasks, dropped))
    # The spec is stored once per protocol version, not with each case: not converted at all.
    spec, subprocess_specs = workflow.spec, workflow.subprocess_specs
    try:
        for tree, _sub_id, _subtrees, everything, dropped in plans:
            tree.tasks = {task_id: task for task_id, task in everything.items() if task_id not in dropped}
        workflow.spec, workflow.subprocess_specs = None, {}
        set_skipped(workflow, skip)
        dct: dict[str, Any] = to_dict(workflow)
    finally:
        set_skipped(workflow, None)
        workflow.spec, workflow.subprocess_specs = spec, subprocess_specs
        for tree, _sub_id, _subtrees, everything, _dropped in plans:
            tree.tasks = everything
    if skip:
        for tree_dict in [dct, *(dct.get("subprocesses") or {}).values()]:
            tree_dict["tasks"] = {key: task for key, task in tree_dict["tasks"].items() if task is not SKIPPED}
    for _tree, sub_id, subtrees, _everything, _dropped in plans:
        tree_dict = dct if sub_id is None else dct["subprocesses"][str(sub_id)]
        for frontier_id in subtrees:
            tree_dict["tasks"][str(frontier_id)]["children"] = []
        tree_dict[MARK_KEY] = sorted(str(frontier_id) for frontier_id in subtrees)
    return dct


def take_marks(dct: dict[str, Any]) -> dict[str | None, list[str]]:
    """Remove the marks from a serialised workflow before SpiffWorkflow reads it: subprocess
    id (None for the top workflow) → frontier task ids."""
    marks: dict[str | None, list[str]] = {None: dct.pop(MARK_KEY, [])}
    for sub_id, sub in (dct.get("subprocesses") or {}).items():
        marks[sub_id] = sub.pop(MARK_KEY, [])
    return marks


def predict_again(workflow: Workflow, marks: dict[str | None, list[str]]) -> None:
    """Predict the left-out subtrees of a restored workflow again from their frontier tasks."""
    for tree, sub_id in trees_by_id(workflow):
        for frontier_id in marks.get(None if sub_id is None else str(sub_id), []):
            task = tree.tasks.get(UUID(frontier_id))
            if task is not None and task.state == TaskState.FUTURE and not task._children:
                task.task_spec._predict(task, mask=_PREDICTED)
