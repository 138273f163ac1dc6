"""Running a case's workflow: SpiffWorkflow's engine steps, with the timers that fired and the
escalations thrown on the way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException

from engine.errors import WorkflowFailure
from engine.workflow.expressions import ExpressionError
from engine.workflow.tree import element_id, escalation_code, has_ready_engine_tasks, timers_fired_since, waiting_timers

MAX_ENGINE_ROUNDS = 20


@dataclass
class Advance:
    """What happened while the engine ran: timer tasks that fired, escalation events thrown."""

    fired_timers: list[Any] = field(default_factory=list)
    thrown_escalations: list[Any] = field(default_factory=list)

    @property
    def timer_names(self) -> list[str]:
        return [element_id(task) for task in self.fired_timers]


def _advance(workflow: Any) -> Advance:
    """Fire due timers and run every automatic step.

    ``do_engine_steps`` re-checks timers only at its very end, so a timer that falls due while
    it runs (a date already past, say) is left READY; go round again until nothing automatic
    is ready, or the rounds run out (a zero-length cycle timer must not spin forever).
    """
    result = Advance()

    def note_completion(task: Any) -> None:
        if escalation_code(task) is not False:
            result.thrown_escalations.append(task)

    try:
        for _ in range(MAX_ENGINE_ROUNDS):
            before = waiting_timers(workflow)
            workflow.refresh_timers()
            workflow.do_engine_steps(did_complete_task=note_completion)
            result.fired_timers.extend(timers_fired_since(before))
            if not has_ready_engine_tasks(workflow):
                break
    except (WorkflowException, ExpressionError) as exc:
        raise WorkflowFailure(f"the protocol failed while running: {exc}") from exc
    return result
