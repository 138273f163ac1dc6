from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

import engine.workflow.timers  # noqa: F401 - installs the clock bridge
from engine.clock import SimulatedClock, SystemClock, clock_in_effect, current_clock


def test_simulated_clock_moves_only_forward():
    clock = SimulatedClock(datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=7))))
    assert clock.now() == datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
    assert clock.advance(timedelta(hours=25)) == datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    assert clock.set(datetime(2026, 12, 2, tzinfo=timezone.utc)) == datetime(2026, 12, 2, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 12, 1, tzinfo=timezone.utc))
    with pytest.raises(ValueError, match="naive"):
        SimulatedClock(datetime(2026, 1, 1))


def test_clock_in_effect_is_scoped():
    simulated = SimulatedClock(datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert isinstance(current_clock(), SystemClock)
    with clock_in_effect(simulated):
        assert current_clock() is simulated
    assert isinstance(current_clock(), SystemClock)


def test_spiffworkflow_timers_read_the_clock_in_effect():
    simulated = SimulatedClock(datetime(2030, 1, 1, tzinfo=timezone.utc))
    with clock_in_effect(simulated):
        assert spiff_timer.datetime.now(timezone.utc) == datetime(2030, 1, 1, tzinfo=timezone.utc)
    real = spiff_timer.datetime.now(timezone.utc)
    assert abs(real - datetime.now(timezone.utc)) < timedelta(seconds=5)
