"""The simulated clock, for training and protocol rehearsal (only with ``serve --simulation``).

Moving the clock fires every timer that fell due and climbs late escalations, exactly as the
background worker would have done in that time.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from api.deps import ClockDep, NetworkDep, SessionDep, require_role
from api.problems import errors
from api.schemas import Moment
from engine import audit
from engine.clock import SimulatedClock
from engine.deadlines.tick import tick
from engine.errors import InvalidInput, InvalidState
from engine.people.actors import Actor
from engine.people.roles import TRAINING_ROLES
from engine.workflow.timers import parse_duration

router = APIRouter(tags=["simulation"])
# Whoever runs a training session or rehearses a protocol.
Trainer = Annotated[Actor, Depends(require_role(TRAINING_ROLES, "move the simulated clock"))]
MAX_STEP = timedelta(days=3 * 366)
# Dates must stay storable and computable (timers add years to them); no rehearsal needs more.
LATEST_YEAR = 9000


class ClockMove(BaseModel):
    advance: str | None = Field(default=None, max_length=64, description="An ISO 8601 duration, e.g. PT25H or P3D.")
    to: Moment | None = Field(default=None, description="A moment to move to (never backwards).")

    @model_validator(mode="after")
    def _one_of(self) -> ClockMove:
        if (self.advance is None) == (self.to is None):
            raise ValueError("give exactly one of 'advance' and 'to'")
        return self


class ClockState(BaseModel):
    now: datetime
    cases_examined: int
    timers_fired: int
    escalations_climbed: int
    failed_case_ids: list[int]


def _duration(text: str, now: datetime) -> timedelta:
    delta = parse_duration(text, start=now, field="advance")
    if not timedelta(0) <= delta <= MAX_STEP:
        raise InvalidInput("the clock moves forward by at most three years at a time", field="advance")
    return delta


@router.post("/simulation/clock", summary="Move the simulated clock and run the timers that fell due",
             responses=errors(409, 422))
def move_clock(body: ClockMove, session: SessionDep, clock: ClockDep, network: NetworkDep, actor: Trainer) -> ClockState:
    if not isinstance(clock, SimulatedClock):
        raise InvalidState("this server's clock is not simulated")
    before = clock.now()
    if body.to is not None:
        if body.to < before:
            raise InvalidInput("a simulated clock does not run backwards", field="to")
        if body.to - before > MAX_STEP:
            raise InvalidInput("the clock moves forward by at most three years at a time", field="to")
        clock.set(body.to)
    else:
        delta = _duration(body.advance, before)
        if (before + delta).year > LATEST_YEAR:
            raise InvalidInput(f"the simulated clock stops at the year {LATEST_YEAR}", field="advance")
        clock.advance(delta)
    audit.record(session, action="simulation.clock_moved", actor=actor, at=clock.now(), from_time=before.isoformat())
    session.commit()
    report = tick(session=session, clock=clock, network=network)
    return ClockState(now=clock.now(), cases_examined=report.cases_examined, timers_fired=report.timers_fired,
                      escalations_climbed=report.escalations_climbed, failed_case_ids=report.failed_case_ids)
