"""How much work one command may make SpiffWorkflow do: engine steps, timer firings, wall time.

A published protocol can ask for more than a server can give (a repeating timer with a zero
gap fires on every refresh, forever, inside ``do_engine_steps``). Every command — a user's, or
the worker's for one case — runs its workflows under one :class:`RunBudget`, put in effect with
:func:`budget_in_effect`; :func:`engine.workflow.running.advance` charges it from inside
SpiffWorkflow's step loop and stops the run with :class:`RunBudgetExceeded` (naming the element
that used the most) the moment a limit is passed. The workflow object is then half-moved and
must be thrown away: the caller rolls back to the case's last stored state.

Wall time is read from a monotonic counter (``time.monotonic`` unless another is given), never
from the case clock, which may be simulated and standing still.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from engine.errors import RunBudgetExceeded

DEFAULT_ENGINE_STEPS = 2000
DEFAULT_TIMER_FIRINGS = 500
DEFAULT_RUN_SECONDS = 10.0
MONOTONIC: Callable[[], float] = time.monotonic


@dataclass
class RunBudget:
    max_engine_steps: int = DEFAULT_ENGINE_STEPS
    max_timer_firings: int = DEFAULT_TIMER_FIRINGS
    max_seconds: float = DEFAULT_RUN_SECONDS
    # Seconds from a monotonic counter; None takes the process's (``MONOTONIC``).
    monotonic: Callable[[], float] | None = None
    steps: int = 0
    firings: int = 0
    # When the engine first ran in this command: waiting for a case's lock, say, is not work.
    started_at: float | None = None
    steps_by_element: Counter[str] = field(default_factory=Counter)
    firings_by_element: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if self.monotonic is None:
            self.monotonic = MONOTONIC

    def start(self) -> None:
        """The engine is about to run (the first time in this command, the clock starts)."""
        if self.started_at is None:
            assert self.monotonic is not None
            self.started_at = self.monotonic()

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        assert self.monotonic is not None
        return self.monotonic() - self.started_at

    def charge_step(self, element: str) -> None:
        """One automatic task SpiffWorkflow is about to run."""
        self.steps += 1
        self.steps_by_element[element] += 1
        if self.steps > self.max_engine_steps:
            self._exceeded("engine_steps", self.max_engine_steps, self.steps_by_element)
        self.check_time(element)

    def charge_firing(self, element: str, count: int = 1) -> None:
        """A timer fired (a repeating timer counts each firing)."""
        if count <= 0:
            return
        self.firings += count
        self.firings_by_element[element] += count
        if self.firings > self.max_timer_firings:
            self._exceeded("timer_firings", self.max_timer_firings, self.firings_by_element)

    def refuse_endless(self, element: str) -> None:
        """A repeating timer with no interval and no count fired: it would fire again at every
        step, for ever. Refuse now rather than after the firings limit's worth of work."""
        raise RunBudgetExceeded(
            f"the repeating timer at element {element!r} has no interval and no end: it would fire for ever, "
            f"past the limit of {self.max_timer_firings} timer firings a command",
            exceeded="timer_firings", limit=self.max_timer_firings, element=element, endless=True,
            engine_steps=self.steps, timer_firings=self.firings, seconds=round(self.elapsed, 3),
        )

    def check_time(self, element: str | None = None) -> None:
        if self.elapsed > self.max_seconds:
            busiest = self.firings_by_element or self.steps_by_element
            self._exceeded("wall_time", self.max_seconds, busiest, fallback=element)

    def _exceeded(self, what: str, limit: float, by_element: Counter[str], fallback: str | None = None) -> None:
        element = by_element.most_common(1)[0][0] if by_element else fallback
        seconds = round(self.elapsed, 3)
        raise RunBudgetExceeded(
            f"the protocol asked for more work than one command may do ({what.replace('_', ' ')} over "
            f"{limit:g}: {self.steps} engine steps, {self.firings} timer firings, {seconds} s), "
            f"most of it at element {element!r}",
            exceeded=what, limit=limit, element=element, engine_steps=self.steps,
            timer_firings=self.firings, seconds=seconds,
        )


_budget_in_effect: ContextVar[RunBudget | None] = ContextVar("khumkrong_run_budget", default=None)


def current_budget() -> RunBudget | None:
    """The budget of the command running now, if a command put one in effect."""
    return _budget_in_effect.get()


@contextmanager
def budget_in_effect(budget: RunBudget) -> Iterator[RunBudget]:
    token = _budget_in_effect.set(budget)
    try:
        yield budget
    finally:
        _budget_in_effect.reset(token)
