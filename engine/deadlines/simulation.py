"""Moving a training installation's simulated clock (``serve --simulation``).

The move is audited, then everything that fell due in the time skipped happens, exactly as the
background worker would have done it: due timers fire and late escalations climb.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engine import audit
from engine.clock import Clock, SimulatedClock
from engine.deadlines.tick import TickReport, tick
from engine.errors import InvalidInput, InvalidState
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.workflow.timers import parse_duration

MAX_STEP = timedelta(days=3 * 366)
# Dates must stay storable and computable (timers add years to them); no rehearsal needs more.
LATEST_YEAR = 9000


def move_simulated_clock(
    *,
    session: Session,
    clock: Clock,
    network: Network,
    actor: Actor,
    advance: str | None = None,
    to: datetime | None = None,
) -> TickReport:
    """Move the clock forward by ``advance`` (an ISO 8601 duration) or to ``to``, never back."""
    if not isinstance(clock, SimulatedClock):
        raise InvalidState("this server's clock is not simulated")
    if (advance is None) == (to is None):
        raise InvalidInput("give exactly one of 'advance' and 'to'", field="advance")
    before = clock.now()
    if advance is not None:
        delta = parse_duration(advance, start=before, field="advance")
        if not timedelta(0) <= delta <= MAX_STEP:
            raise InvalidInput("the clock moves forward by at most three years at a time", field="advance")
        if (before + delta).year > LATEST_YEAR:
            raise InvalidInput(f"the simulated clock stops at the year {LATEST_YEAR}", field="advance")
        clock.advance(delta)
    elif to is not None:
        if to < before:
            raise InvalidInput("a simulated clock does not run backwards", field="to")
        if to - before > MAX_STEP:
            raise InvalidInput("the clock moves forward by at most three years at a time", field="to")
        clock.set(to)
    audit.record(session, action="simulation.clock_moved", actor=actor, at=clock.now(), from_time=before.isoformat())
    session.commit()
    return tick(session=session, clock=clock, network=network)
