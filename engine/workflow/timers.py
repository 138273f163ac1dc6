"""Make SpiffWorkflow's timers read Khumkrong's clock, and read due times back out.

SpiffWorkflow 3.2.0 reads ``datetime.now(timezone.utc)`` directly in its timer module (and only
there). We give that module a ``datetime`` whose ``now()`` is the clock in effect, so timers fire
on simulated time in tests and rehearsals exactly as they fire on real time in production.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)

from engine.clock import current_clock
from engine.errors import InvalidInput
from engine.protocols.loading import InvalidTimerText, validate_timer_text


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = current_clock().now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def install_clock_bridge() -> None:
    if spiff_timer.datetime is not _ClockedDatetime:
        spiff_timer.datetime = _ClockedDatetime


install_clock_bridge()


def _parse_instant(value: str) -> datetime:
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    if not isinstance(parsed, datetime):
        raise ValueError(f"timer value {value!r} is not an instant")
    return parsed.astimezone(timezone.utc)


def is_timer_definition(event_definition: Any) -> bool:
    if isinstance(event_definition, TimerEventDefinition):
        return True
    if isinstance(event_definition, MultipleEventDefinition):
        return any(is_timer_definition(d) for d in event_definition.event_definitions)
    return False


def timer_due_at(task: Any) -> datetime | None:
    """When a WAITING timer task will fire, from the value SpiffWorkflow stored on it.

    Reads ``internal_data['event_value']`` rather than ``waiting_events()``, because a timer
    behind an event-based gateway has its due time only there (field notes §2).
    """
    event_definition = getattr(task.task_spec, "event_definition", None)
    if event_definition is None or not is_timer_definition(event_definition):
        return None
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(event_definition, CycleTimerEventDefinition) or isinstance(value, dict):
        if not isinstance(value, dict) or value.get("cycles") == 0 or "next" not in value:
            return None
        return _parse_instant(value["next"])
    if isinstance(value, str):
        return _parse_instant(value)
    return None


def parse_duration(text: str, *, start: datetime, field: str = "duration") -> timedelta:
    """An ISO 8601 duration (``PT25H``, ``P3D``, ``P1M``) as a span from *start*, where months
    and years count from *start* exactly as SpiffWorkflow's timers count them."""
    if not isinstance(text, str):
        raise InvalidInput(f"{text!r} is not an ISO 8601 duration such as PT2H or P3D", field=field)
    text = text.strip()
    try:
        validate_timer_text("duration", text)
    except InvalidTimerText as exc:
        raise InvalidInput(f"{text!r}: {exc}", field=field) from None
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return TimerEventDefinition.get_timedelta_from_start(parsed, start)
