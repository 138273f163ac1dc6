"""Reading a workflow's task tree without SpiffWorkflow's depth-limited iterator.

SpiffWorkflow's iterators stop silently at depth 1000 (field notes §8), so anything that must
be *true* about a case — which tasks are live, whether it is finished, how deep it is — is read
here from the task dictionaries directly.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from engine.workflow.timers import is_timer_definition, timer_due_at
from engine.workflow.types import Task, TaskTree, Workflow

LIVE_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def all_workflows(workflow: Workflow) -> list[TaskTree]:
    return [workflow, *workflow.subprocesses.values()]


def trees_by_id(workflow: Workflow) -> list[tuple[TaskTree, UUID | None]]:
    """:func:`all_workflows` with the id each subprocess is stored under (None for the top one)."""
    return [(workflow, None), *((sub, sub_id) for sub_id, sub in workflow.subprocesses.items())]


def all_tasks(workflow: Workflow) -> Iterator[Task]:
    for each in all_workflows(workflow):
        yield from each.tasks.values()


def max_depth(workflow: Workflow) -> int:
    """The deepest task in any of the case's task trees (one tree per (sub)process)."""
    deepest = 0
    for each in all_workflows(workflow):
        frontier = [(each.task_tree, 0)]
        while frontier:
            task, depth = frontier.pop()
            deepest = max(deepest, depth)
            frontier.extend((child, depth + 1) for child in task.children)
    return deepest


def live_manual_tasks(workflow: Workflow) -> list[Task]:
    return [
        task
        for task in all_tasks(workflow)
        if task.task_spec.manual and task.state in (TaskState.READY, TaskState.WAITING)
    ]


def has_ready_engine_tasks(workflow: Workflow) -> bool:
    return any(task.state == TaskState.READY and not task.task_spec.manual for task in all_tasks(workflow))


def has_live_tasks(workflow: Workflow) -> bool:
    return any(task.state & LIVE_STATES for task in all_tasks(workflow))


def next_timer_at(workflow: Workflow) -> datetime | None:
    due_times = [
        due
        for task in all_tasks(workflow)
        if task.state == TaskState.WAITING and (due := timer_due_at(task)) is not None
    ]
    return min(due_times, default=None)


def boundary_timer_due_times(task: Task) -> list[datetime]:
    """Due times of the timer boundary events attached to this task that are still waiting."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return []
    return [
        due
        for sibling in parent.children
        if sibling is not task
        and sibling.state == TaskState.WAITING
        and (due := timer_due_at(sibling)) is not None
    ]


def waiting_timers(workflow: Workflow) -> dict[UUID, tuple[Task, int | None]]:
    """Every WAITING timer task, with the cycles a repeating timer has left (None otherwise)."""
    snapshot = {}
    for task in all_tasks(workflow):
        if task.state == TaskState.WAITING and is_timer_definition(getattr(task.task_spec, "event_definition", None)):
            value = task.internal_data.get("event_value")
            snapshot[task.id] = (task, value["cycles"] if isinstance(value, dict) else None)
    return snapshot


def timers_fired_since(snapshot: dict[UUID, tuple[Task, int | None]]) -> list[Task]:
    """The timer tasks in ``snapshot`` that have fired since, once per firing.

    A one-shot timer has fired when it left WAITING other than by cancellation; a repeating
    timer stays WAITING and counts down its cycles instead (its event value is dropped, with no
    firing, once the count reaches zero).
    """
    fired = []
    for task, cycles_before in snapshot.values():
        if cycles_before is not None:
            value = task.internal_data.get("event_value")
            cycles_now = value["cycles"] if isinstance(value, dict) else 0
            fired.extend([task] * max(0, cycles_before - cycles_now))
        elif task.state & (TaskState.READY | TaskState.STARTED | TaskState.COMPLETED):
            fired.append(task)
    return fired


def fired_by(task: Task) -> Task | None:
    """The timer whose firing is why ``task`` is about to run: the timer event itself (a one-shot
    timer completes when it fires), or the repeating timer that spawned it (a cycle stays
    WAITING and adds a child per firing)."""
    if is_timer_definition(getattr(task.task_spec, "event_definition", None)):
        return task
    parent = task.parent
    if (
        parent is not None
        and parent.state == TaskState.WAITING
        and isinstance(getattr(parent.task_spec, "event_definition", None), CycleTimerEventDefinition)
    ):
        return parent
    return None


def fires_for_ever(timer: Task) -> bool:
    """A repeating timer with a zero interval and no count (``R/PT0S``): once due, it is due
    again at once after every firing."""
    value = timer.internal_data.get("event_value")
    return isinstance(value, dict) and value.get("duration") == 0 and value.get("cycles", 0) < 0


def element_id(task: Task) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


def attached_task(boundary_event_task: Task) -> Task | None:
    """The task a boundary event is attached to (its sibling under the boundary split)."""
    parent = boundary_event_task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    return next(
        (sibling for sibling in parent.children if not isinstance(sibling.task_spec, BoundaryEvent)),
        None,
    )


def nearest_manual_ancestor(task: Task) -> Task | None:
    """The user task the token most recently left on its way to ``task``.

    On the path of a boundary event that is the user task the event is attached to: an overrun
    a deadline throws belongs to the late task, not to the one the token passed before it (the
    boundary split hangs under that earlier task in SpiffWorkflow's tree).
    """
    current = task.parent
    while current is not None:
        if current.task_spec.manual:
            return current
        if isinstance(current.task_spec, BoundaryEvent):
            owner = attached_task(current)
            if owner is not None and owner.task_spec.manual:
                return owner
        current = current.parent
    return None


def throws_escalation(task: Task) -> bool:
    """Whether the task is a throwing BPMN escalation event."""
    definition = getattr(task.task_spec, "event_definition", None)
    return isinstance(definition, EscalationEventDefinition) and isinstance(task.task_spec, ThrowingEvent)


def throws_message(task: Task) -> bool:
    """Whether the task is a throwing BPMN message event (a throw or end event, a send task)."""
    definition = getattr(task.task_spec, "event_definition", None)
    return isinstance(definition, MessageEventDefinition) and isinstance(task.task_spec, ThrowingEvent)


def element_properties(task: Task) -> dict[str, str]:
    """The element's extension properties (spiffworkflow:properties, or Camunda's), as parsed."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    properties = extensions.get("properties") or {}
    return {str(name): str(value) for name, value in properties.items() if value is not None}


def escalation_code(task: Task) -> str | None:
    """The code a throwing escalation event throws (None when it names none)."""
    return task.task_spec.event_definition.code if throws_escalation(task) else None
