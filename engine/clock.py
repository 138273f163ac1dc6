"""Time, injected.

Every reading of "now" in Khumkrong goes through a :class:`Clock`. Runtime commands take one
explicitly; code that the workflow library calls back into (timer checks, expression functions)
reads the clock that the running command put *in effect* through :func:`clock_in_effect`.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

# Thailand has kept UTC+7 all year since 1920 (no daylight saving), so a fixed offset is exact
# for every case date: Thai local days, years and office hours are read in this zone.
THAI_TIME = timezone(timedelta(hours=7), "ICT")


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return "SystemClock()"


def as_utc(moment: datetime) -> datetime:
    """Normalise an aware datetime to UTC; refuse naive ones, whose zone would be a guess."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")
    return moment.astimezone(timezone.utc)


class SimulatedClock:
    """A clock that only moves when told to: for tests, rehearsal and training."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a simulated clock does not run backwards")
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, moment: datetime) -> datetime:
        moment = as_utc(moment)
        with self._lock:
            if moment < self._now:
                raise ValueError("a simulated clock does not run backwards")
            self._now = moment
            return self._now

    def __repr__(self) -> str:
        return f"SimulatedClock({self._now.isoformat()})"


_SYSTEM_CLOCK = SystemClock()
_clock_in_effect: ContextVar[Clock | None] = ContextVar("khumkrong_clock", default=None)


def current_clock() -> Clock:
    """The clock of the command now running, or the system clock outside any command."""
    return _clock_in_effect.get() or _SYSTEM_CLOCK


@contextmanager
def clock_in_effect(clock: Clock) -> Iterator[Clock]:
    token = _clock_in_effect.set(clock)
    try:
        yield clock
    finally:
        _clock_in_effect.reset(token)
