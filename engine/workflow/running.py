"""Running a case's workflow: SpiffWorkflow's engine steps (with the timers that fired and the
escalations thrown on the way), its ready tasks, and the messages it exchanges with others.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as ProtocolMessageDefinition
from SpiffWorkflow.util.task import TaskState

from engine.errors import WorkflowFailure
from engine.workflow.budget import RunBudget, current_budget
from engine.workflow.expressions import ExpressionError
from engine.workflow.tree import (
    element_id,
    element_properties,
    fired_by,
    fires_for_ever,
    has_ready_engine_tasks,
    throws_escalation,
    throws_message,
    timers_fired_since,
    waiting_timers,
)
from engine.workflow.types import Event, Task, Workflow

MAX_ENGINE_ROUNDS = 20


@dataclass
class Advance:
    """What happened while the engine ran: timer tasks that fired, escalation events thrown, and
    the tasks that threw messages (in the order they threw)."""

    fired_timers: list[Task] = field(default_factory=list)
    thrown_escalations: list[Task] = field(default_factory=list)
    message_throwers: list[Task] = field(default_factory=list)

    @property
    def timer_names(self) -> list[str]:
        return [element_id(task) for task in self.fired_timers]

    def extend(self, more: Advance) -> None:
        self.fired_timers.extend(more.fired_timers)
        self.thrown_escalations.extend(more.thrown_escalations)
        self.message_throwers.extend(more.message_throwers)


def advance(workflow: Workflow) -> Advance:
    """Fire due timers and run every automatic step, within the command's :class:`RunBudget`.

    ``do_engine_steps`` re-checks timers only at its very end, so a timer that falls due while
    it runs (a date already past, say) is left READY; go round again until nothing automatic
    is ready, or the rounds run out. A zero-gap repeating timer fires again on every step
    *inside* ``do_engine_steps``, so the budget is charged from its callback, where raising
    :class:`~engine.errors.RunBudgetExceeded` is the only way out of the library's loop.
    """
    result = Advance()
    budget = current_budget() or RunBudget()
    budget.start()

    def charge(task: Task) -> None:
        budget.charge_step(element_id(task))
        timer = fired_by(task)
        if timer is not None:
            budget.charge_firing(element_id(timer))
            if fires_for_ever(timer):
                budget.refuse_endless(element_id(timer))

    def note_completion(task: Task) -> None:
        if throws_escalation(task):
            result.thrown_escalations.append(task)
        if throws_message(task):
            result.message_throwers.append(task)

    try:
        for _ in range(MAX_ENGINE_ROUNDS):
            before = waiting_timers(workflow)
            workflow.refresh_timers()
            workflow.do_engine_steps(will_complete_task=charge, did_complete_task=note_completion)
            fired = timers_fired_since(before)
            result.fired_timers.extend(fired)
            budget.check_time()
            if not has_ready_engine_tasks(workflow):
                break
    except (WorkflowException, ExpressionError) as exc:
        raise WorkflowFailure(f"the protocol failed while running: {exc}") from exc
    return result


# -- starting and completing tasks ----------------------------------------------------------------


def start_with(workflow: Workflow, data: dict[str, Any]) -> None:
    """Give a new workflow its first variables (the intake data, or a referral's payload)."""
    workflow.get_next_task(state=TaskState.READY).set_data(**data)


def ready_task(workflow: Workflow, task_id: str) -> Task | None:
    """The task with this id, if it is ready to be completed."""
    task = workflow.get_task_from_id(UUID(task_id))
    return task if task is not None and task.state == TaskState.READY else None


def run_task(task: Task, data: dict[str, Any]) -> None:
    """Complete a ready (user) task with the data its form gave."""
    task.set_data(**data)
    task.run()


def task_data(workflow: Workflow, task_id: str) -> dict[str, Any] | None:
    """The variables a task holds (all of the case's so far), or None when there is no such task."""
    task = workflow.get_task_from_id(UUID(task_id))
    return None if task is None else dict(task.data)


# -- messages between workflows -------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A BPMN message a workflow threw that nothing inside it caught.

    ``element`` and ``properties`` are the throwing element's id and extension properties (its
    legal basis, say), and ``sender_data`` the variables the case held when it threw; all are
    empty for a message rebuilt from storage.
    """

    name: str
    payload: dict[str, Any]
    event: Event
    element: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    sender_data: dict[str, Any] = field(default_factory=dict)

    @property
    def correlations(self) -> dict[str, Any]:
        """The values that let a reply find the workflow that waits for it."""
        return dict(self.event.correlations or {})


def rebuilt_message(name: str, payload: dict[str, Any], correlations: dict[str, Any]) -> Message:
    """A message as it was thrown, from what was stored of it (a referral held while its case
    was restricted): the protocols' message definitions, so that it is caught as the original
    would have been."""
    event = BpmnEvent(ProtocolMessageDefinition(name), payload=dict(payload), correlations=dict(correlations))
    return Message(name, dict(payload), event)


def thrown_messages(workflow: Workflow, throwers: list[Task] | None = None) -> list[Message]:
    """The messages the workflow threw since last asked (asking takes them off the workflow).

    ``throwers`` are the tasks that threw messages while the engine ran (``Advance``), in the
    order they threw: SpiffWorkflow's events do not say which element threw them, so each
    message is matched with the next thrower of its name.
    """
    by_name: dict[str, list[Task]] = {}
    for task in throwers or []:
        by_name.setdefault(task.task_spec.event_definition.name, []).append(task)
    messages = []
    for event in workflow.get_events():
        if not isinstance(event.event_definition, MessageEventDefinition):
            continue
        name = event.event_definition.name
        payload = event.payload if isinstance(event.payload, dict) else {}
        queue = by_name.get(name)
        thrower = queue.pop(0) if queue else None
        if thrower is None:
            messages.append(Message(name, payload, event))
        else:
            messages.append(Message(
                name, payload, event, element=element_id(thrower), properties=element_properties(thrower),
                sender_data=dict(thrower.data),
            ))
    return messages


def waits_for(workflow: Workflow, message_name: str) -> bool:
    return message_name in {pending.name for pending in workflow.waiting_events()}


def send_message(workflow: Workflow, message: Message) -> None:
    """Hand a message to a workflow that waits for it."""
    workflow.send_event(message.event)


def deliver(workflow: Workflow, message: Message) -> bool:
    """Hand a message over if the workflow waits for it and its correlation values match."""
    if not waits_for(workflow, message.name):
        return False
    try:
        workflow.send_event(message.event)
    except WorkflowException:
        return False  # its correlation values do not match this message
    return True
