"""The simulated clock, for training and protocol rehearsal (only with ``serve --simulation``).

Moving the clock fires every timer that fell due and climbs late escalations, exactly as the
background worker would have done in that time.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from api.deps import ClockDep, NetworkDep, SessionDep, require_role
from api.problems import errors
from api.schemas import Moment
from engine.deadlines.simulation import move_simulated_clock
from engine.people.actors import Actor
from engine.people.roles import TRAINING_ROLES

router = APIRouter(tags=["simulation"])
# Whoever runs a training session or rehearses a protocol.
Trainer = Annotated[Actor, Depends(require_role(TRAINING_ROLES, "move the simulated clock"))]


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


@router.post("/simulation/clock", summary="Move the simulated clock and run the timers that fell due",
             responses=errors(409, 422))
def move_clock(body: ClockMove, session: SessionDep, clock: ClockDep, network: NetworkDep, actor: Trainer) -> ClockState:
    report = move_simulated_clock(session=session, clock=clock, network=network, actor=actor, advance=body.advance, to=body.to)
    return ClockState(now=clock.now(), cases_examined=report.cases_examined, timers_fired=report.timers_fired,
                      escalations_climbed=report.escalations_climbed, failed_case_ids=report.failed_case_ids)
